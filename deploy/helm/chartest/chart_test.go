package chartest

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// TestDefaults: `helm install desk deploy/helm/deskbot` with no values is
// one replica on the embedded SQLite file, on a volume, with probes, a
// non-root read-only container and time to shut down.
func TestDefaults(t *testing.T) {
	objs := mustRender(t, "")
	strict(t, objs)
	want := []string{"Deployment/desk-deskbot", "PersistentVolumeClaim/desk-deskbot-data", "Service/desk-deskbot", "ServiceAccount/desk-deskbot"}
	if got := objs.keys(); !slices.Equal(got, want) {
		t.Fatalf("objects %v, want %v", got, want)
	}
	d, c := container(t, objs)
	if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("replicas %d, strategy %q; want 1, Recreate (the SQLite file and a ReadWriteOnce volume)", *d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	if c.Image != "deskbot:0.1.0" {
		t.Errorf("image %q, want the appVersion tag", c.Image)
	}
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		want := "/healthz"
		if name == "readiness" {
			want = "/readyz"
		}
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || p.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe %+v, want GET %s on the http port", name, p, want)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 || c.Ports[0].Name != "http" {
		t.Errorf("ports %+v", c.Ports)
	}
	env := envOf(c)
	for k, v := range map[string]string{"HTTP_ADDR": ":8080", "DESKBOT_DATA": "/data", "TZ_NAME": "Asia/Shanghai", "LOG_LEVEL": "info"} {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"DATABASE_URL_FILE", "REDIS_URL_FILE", "PUBLIC_URL", "FORMS_DIR", "SLA_POLICY_FILE"} {
		if _, ok := env[k]; ok {
			t.Errorf("env %s set by default", k)
		}
	}

	pod := d.Spec.Template.Spec
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < 35 {
		t.Errorf("terminationGracePeriodSeconds %v: deskbot's shutdown takes up to 20 s (HTTP) + 15 s (SLA timers)", pod.TerminationGracePeriodSeconds)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != 5 {
		t.Errorf("preStop %+v, want a 5 s sleep", c.Lifecycle)
	}
	t.Run("BeforeKubernetes1.30", func(t *testing.T) {
		// The preStop sleep action came in 1.30; distroless has no sleep binary.
		objs, err := renderOn(t, "v1.29.4", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, c := container(t, objs); c.Lifecycle != nil {
			t.Errorf("lifecycle %+v on Kubernetes 1.29", c.Lifecycle)
		}
	})
	ps, sc := pod.SecurityContext, c.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser != 65532 || ps.FSGroup == nil {
		t.Errorf("pod securityContext %+v, want non-root 65532 with an fsGroup", ps)
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container securityContext %+v, want a read-only root and no privilege escalation", sc)
	}
	if v := volume(t, d, "data"); v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != "desk-deskbot-data" || mountPath(c, "data") != "/data" {
		t.Errorf("data volume %+v at %q", v, mountPath(c, "data"))
	}
	if v := volume(t, d, "tmp"); v.EmptyDir == nil || mountPath(c, "tmp") != "/tmp" {
		t.Errorf("tmp volume %+v at %q: large uploads are spooled to /tmp", v, mountPath(c, "tmp"))
	}
	if a := d.Spec.Template.Annotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != "8080" || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("pod annotations %v, want prometheus.io/scrape, port 8080, path /metrics", a)
	}
	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v", c.Resources)
	}
	pvc := get[corev1.PersistentVolumeClaim](t, objs, "PersistentVolumeClaim/desk-deskbot-data")
	if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) || pvc.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("pvc %+v", pvc)
	}
}

// TestScaleOut: several replicas on Postgres and Redis, Telegram and Slack
// in their webhook modes behind the Ingress.
func TestScaleOut(t *testing.T) {
	objs := mustRender(t, scaleOut)
	strict(t, objs)
	d, c := container(t, objs)
	if *d.Spec.Replicas != 3 || d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
		t.Errorf("replicas %d, strategy %q", *d.Spec.Replicas, d.Spec.Strategy.Type)
	}

	t.Run("SecretsAsFiles", func(t *testing.T) {
		keys := []string{"DATABASE_URL", "METRICS_TOKEN", "REDIS_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"}
		s := get[corev1.Secret](t, objs, "Secret/desk-deskbot")
		var got []string
		for k := range s.StringData {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, keys) || s.StringData["DATABASE_URL"] != "postgres://deskbot:pw@pg:5432/deskbot" {
			t.Errorf("secret %v, want the non-empty values %v", s.StringData, keys)
		}
		env := envOf(c)
		for _, k := range keys {
			if env[k+"_FILE"] != "/run/secrets/deskbot/"+k {
				t.Errorf("env %s_FILE = %q", k, env[k+"_FILE"])
			}
			if _, ok := env[k]; ok {
				t.Errorf("secret %s in the environment", k)
			}
		}
		v := volume(t, d, "secrets")
		if v.Secret == nil || v.Secret.SecretName != "desk-deskbot" || len(v.Secret.Items) != len(keys) || mountPath(c, "secrets") != "/run/secrets/deskbot" {
			t.Errorf("secrets volume %+v at %q", v, mountPath(c, "secrets"))
		}
		if d.Spec.Template.Annotations["checksum/secret"] == "" {
			t.Error("no checksum/secret: a changed secret would not restart deskbot")
		}
	})

	t.Run("Env", func(t *testing.T) {
		env := envOf(c)
		for k, v := range map[string]string{
			"TELEGRAM_MODE":        "webhook",
			"TELEGRAM_TRIAGE_CHAT": "-1001234567890", // a number in YAML, not -1.00123456789e+12
			"PUBLIC_URL":           "https://desk.example.com",
			"TELEGRAM_WEBHOOK_URL": "https://desk.example.com/telegram/webhook",
		} {
			if env[k] != v {
				t.Errorf("env %s = %q, want %q", k, env[k], v)
			}
		}
	})

	t.Run("Ingress", func(t *testing.T) {
		ing := get[networkingv1.Ingress](t, objs, "Ingress/desk-deskbot")
		if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != "desk.example.com" || len(ing.Spec.TLS) != 1 {
			t.Fatalf("ingress %+v", ing.Spec)
		}
		paths := map[string]networkingv1.PathType{}
		for _, p := range ing.Spec.Rules[0].HTTP.Paths {
			if p.Backend.Service == nil || p.Backend.Service.Name != "desk-deskbot" || p.Backend.Service.Port.Name != "http" {
				t.Errorf("path %s goes to %+v", p.Path, p.Backend)
			}
			paths[p.Path] = *p.PathType
		}
		want := map[string]networkingv1.PathType{
			"/": "Exact", "/chat": "Prefix", "/console": "Prefix", "/api": "Prefix",
			"/telegram/webhook": "Exact", "/slack/events": "Exact", "/slack/interactivity": "Exact", "/slack/commands": "Exact",
		}
		if !maps.Equal(paths, want) {
			t.Errorf("paths %v, want %v (not /metrics, /healthz, /readyz)", paths, want)
		}
	})

	t.Run("DisruptionBudgetAndMonitor", func(t *testing.T) {
		pdb := get[policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget/desk-deskbot")
		if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("pdb %+v", pdb.Spec)
		}
		objs := mustRender(t, scaleOut+"\nmetrics: {serviceMonitor: {enabled: true}}")
		sm := *get[map[string]any](t, objs, "ServiceMonitor/desk-deskbot")
		ep := sm["spec"].(map[string]any)["endpoints"].([]any)[0].(map[string]any)
		cred, _ := ep["authorization"].(map[string]any)["credentials"].(map[string]any)
		if ep["port"] != "http" || ep["path"] != "/metrics" || cred["name"] != "desk-deskbot" || cred["key"] != "METRICS_TOKEN" {
			t.Errorf("endpoint %v, want /metrics on http with METRICS_TOKEN from the secret", ep)
		}
	})
}

// TestExistingSecret: a Secret made outside the chart is mounted, only the
// keys listed, and the chart's rules go by that list.
func TestExistingSecret(t *testing.T) {
	objs := mustRender(t, `
replicaCount: 2
secrets:
  existingSecret: desk-prod
  existingSecretKeys: [DATABASE_URL, REDIS_URL, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET]
  values: {DATABASE_URL: "postgres://ignored"}
persistence: {existingClaim: desk-files, accessModes: [ReadWriteMany]}
`)
	strict(t, objs)
	if _, ok := objs["Secret/desk-deskbot"]; ok {
		t.Error("the chart made a Secret too")
	}
	if _, ok := objs["PersistentVolumeClaim/desk-deskbot-data"]; ok {
		t.Error("the chart made a claim besides persistence.existingClaim")
	}
	d, c := container(t, objs)
	v := volume(t, d, "secrets")
	var items []string
	for _, it := range v.Secret.Items {
		items = append(items, it.Key)
	}
	if v.Secret.SecretName != "desk-prod" || !slices.Equal(items, []string{"DATABASE_URL", "REDIS_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}) {
		t.Errorf("secret volume %+v", v.Secret)
	}
	if env := envOf(c); env["DATABASE_URL_FILE"] != "/run/secrets/deskbot/DATABASE_URL" || env["SLACK_SIGNING_SECRET_FILE"] == "" {
		t.Errorf("env %v", env)
	}
	if claim := volume(t, d, "data").PersistentVolumeClaim; claim == nil || claim.ClaimName != "desk-files" {
		t.Errorf("data claim %+v", claim)
	}
}

// TestConfigFiles: the SLA policy, holidays and forms reach deskbot as
// files, and a change to them rolls the pods.
func TestConfigFiles(t *testing.T) {
	const vals = `
sla:
  policy: |
    version: 7
  holidays: |
    2027: {}
forms:
  files:
    repair.yaml: |
      id: repair
    repair.zh-CN.yaml: |
      form.repair.title: 报修
`
	objs := mustRender(t, vals)
	strict(t, objs)
	d, c := container(t, objs)
	env := envOf(c)
	if env["SLA_POLICY_FILE"] != "/etc/deskbot/sla/policy.yaml" || env["SLA_HOLIDAYS_FILE"] != "/etc/deskbot/sla/holidays.yaml" || env["FORMS_DIR"] != "/etc/deskbot/forms" {
		t.Errorf("env %v", env)
	}
	sla := get[corev1.ConfigMap](t, objs, "ConfigMap/desk-deskbot-sla")
	if sla.Data["policy.yaml"] != "version: 7\n" || sla.Data["holidays.yaml"] != "2027: {}\n" {
		t.Errorf("sla configmap %v", sla.Data)
	}
	forms := get[corev1.ConfigMap](t, objs, "ConfigMap/desk-deskbot-forms")
	if len(forms.Data) != 2 || forms.Data["repair.yaml"] != "id: repair\n" {
		t.Errorf("forms configmap %v", forms.Data)
	}
	if volume(t, d, "sla").ConfigMap.Name != "desk-deskbot-sla" || mountPath(c, "sla") != "/etc/deskbot/sla" ||
		volume(t, d, "forms").ConfigMap.Name != "desk-deskbot-forms" || mountPath(c, "forms") != "/etc/deskbot/forms" {
		t.Errorf("volumes %+v mounts %+v", d.Spec.Template.Spec.Volumes, c.VolumeMounts)
	}

	changed, _ := container(t, mustRender(t, strings.Replace(vals, "version: 7", "version: 8", 1)))
	if a, b := d.Spec.Template.Annotations["checksum/config"], changed.Spec.Template.Annotations["checksum/config"]; a == "" || a == b {
		t.Errorf("checksum/config %q → %q: a new policy would not restart deskbot", a, b)
	}

	t.Run("ExistingFormsConfigMap", func(t *testing.T) {
		objs := mustRender(t, "forms: {existingConfigMap: my-forms}")
		d, c := container(t, objs)
		if _, ok := objs["ConfigMap/desk-deskbot-forms"]; ok {
			t.Error("the chart made a forms ConfigMap too")
		}
		if volume(t, d, "forms").ConfigMap.Name != "my-forms" || envOf(c)["FORMS_DIR"] != "/etc/deskbot/forms" {
			t.Errorf("forms volume %+v", volume(t, d, "forms"))
		}
	})
}

// TestRefused: values deskbot cannot run with stop the install, with a
// message that says what to change.
func TestRefused(t *testing.T) {
	const shared = "persistence: {accessModes: [ReadWriteMany]}\n"
	const pgRedis = "secrets: {values: {DATABASE_URL: postgres://pg/desk, REDIS_URL: redis://redis:6379/0"
	for _, tc := range []struct {
		name, values, want string
	}{
		{"ErrReplicasWithoutPostgres", "replicaCount: 2\n" + shared, "replicaCount=2: several replicas need Postgres: set secrets.values.DATABASE_URL"},
		{"ErrReplicasWithoutRedis", "replicaCount: 2\n" + shared + "secrets: {values: {DATABASE_URL: postgres://pg/desk}}", "need Redis"},
		{"ErrReplicasExistingSecretWithoutRedis", "replicaCount: 2\n" + shared + "secrets: {existingSecret: s, existingSecretKeys: [DATABASE_URL]}", "need Redis"},
		{"ErrReplicasTelegramPoll", "replicaCount: 2\n" + shared + pgRedis + ", TELEGRAM_BOT_TOKEN: '1:x'}}", "need Telegram in webhook mode"},
		{"ErrReplicasSlackSocketMode", "replicaCount: 2\n" + shared + pgRedis + ", SLACK_BOT_TOKEN: xoxb-1, SLACK_APP_TOKEN: xapp-1}}", "need Slack in HTTP mode"},
		{"ErrReplicasAttachmentsNotShared", "replicaCount: 2\n" + pgRedis + "}}", "must share the attachments in DESKBOT_DATA"},
		{"ErrReplicasNoVolume", "replicaCount: 2\npersistence: {enabled: false, accessModes: [ReadWriteMany]}\n" + pgRedis + "}}", "must share the attachments"},
		{"ErrTelegramWebhookWithoutSecret", "env: {TELEGRAM_MODE: webhook}\nsecrets: {values: {TELEGRAM_BOT_TOKEN: '1:x'}}", "TELEGRAM_WEBHOOK_SECRET: required"},
		{"ErrTelegramMode", "env: {TELEGRAM_MODE: push}", `env.TELEGRAM_MODE: "push" is not poll or webhook`},
		{"ErrExistingSecretWithoutKeys", "secrets: {existingSecret: desk-prod}", "secrets.existingSecretKeys: list the variables"},
		{"ErrSecretInEnv", "env: {DATABASE_URL: postgres://pg/desk}", "env.DATABASE_URL: a secret; put it in secrets.values.DATABASE_URL"},
		{"ErrChartVariableInEnv", "env: {HTTP_ADDR: ':9000'}", "env.HTTP_ADDR: set by the chart"},
		{"ErrUnknownEnv", "env: {TELEGRAM_TOKEN: x}", "env.TELEGRAM_TOKEN: not a variable deskbot reads"},
		{"ErrPlainInSecrets", "secrets: {values: {TZ_NAME: UTC}}", "secrets: TZ_NAME is not a secret; set it in env.TZ_NAME"},
		{"ErrUnknownSecret", "secrets: {existingSecret: s, existingSecretKeys: [DB_URL]}", "secrets: DB_URL is not a secret variable deskbot reads"},
		{"ErrIngressWithoutHost", "ingress: {enabled: true}", "ingress.host: the public host name"},
		{"ErrFormFileName", "forms: {files: {'repair form.yaml': 'id: x'}}", `forms.files: "repair form.yaml" is not a file name`},
		{"ErrMisspeltValue", "replicas: 3", "additional properties 'replicas' not allowed"},
		{"ErrAccessMode", "persistence: {accessModes: [RWX]}", "accessModes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, tc.values)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		// One replica may poll Telegram, use Slack's Socket Mode and SQLite.
		mustRender(t, "secrets: {values: {TELEGRAM_BOT_TOKEN: '1:x', SLACK_BOT_TOKEN: xoxb-1, SLACK_APP_TOKEN: xapp-1}}")
		mustRender(t, "replicaCount: 2\n"+shared+pgRedis+"}}")
	})
}

// TestVariables: the chart's lists of deskbot's variables (_helpers.tpl,
// by where it takes each from) are exactly the ones cmd/deskbot reads, so
// a new variable is given a place in the chart.
func TestVariables(t *testing.T) {
	var code []string
	files, err := filepath.Glob("../../../cmd/deskbot/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("cmd/deskbot: %v", err)
	}
	getRE := regexp.MustCompile(`\bget\("([A-Z0-9_]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range getRE.FindAllSubmatch(b, -1) {
			code = append(code, string(m[1]))
		}
	}
	slices.Sort(code)
	code = slices.Compact(code)
	if len(code) < 20 {
		t.Fatalf("found only %v in cmd/deskbot: has LoadConfig changed how it reads variables?", code)
	}

	b, err := os.ReadFile(filepath.Join(chartDir, "templates/_helpers.tpl"))
	if err != nil {
		t.Fatal(err)
	}
	listRE := regexp.MustCompile(`(?m)^\{\{- define "deskbot\.vars\.(\w+)" -\}\}\n(.*)\n`)
	var chart []string
	where := map[string]string{}
	for _, m := range listRE.FindAllSubmatch(b, -1) {
		for v := range strings.FieldsSeq(string(m[2])) {
			if w, dup := where[v]; dup {
				t.Errorf("%s is in deskbot.vars.%s and deskbot.vars.%s", v, w, m[1])
			}
			where[v] = string(m[1])
			chart = append(chart, v)
		}
	}
	slices.Sort(chart)
	for _, v := range code {
		if _, ok := slices.BinarySearch(chart, v); !ok {
			t.Errorf("cmd/deskbot reads %s; add it to one of the deskbot.vars lists in templates/_helpers.tpl", v)
		}
	}
	for _, v := range chart {
		if _, ok := slices.BinarySearch(code, v); !ok {
			t.Errorf("the chart lists %s, which cmd/deskbot does not read", v)
		}
	}
}

// TestReadmeExample: the top README's desk.yaml renders, as the several
// replicas it promises.
func TestReadmeExample(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n# desk.yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```yaml block starting with # desk.yaml")
	}
	objs := mustRender(t, example)
	strict(t, objs)
	d, c := container(t, objs)
	if *d.Spec.Replicas != 3 || c.Image != "registry.example.com/deskbot:1" {
		t.Errorf("replicas %d, image %s", *d.Spec.Replicas, c.Image)
	}
	if env := envOf(c); env["TELEGRAM_WEBHOOK_URL"] != "https://desk.example.com/telegram/webhook" || env["TELEGRAM_BOT_TOKEN_FILE"] == "" {
		t.Errorf("env %v", env)
	}
}
