package chartest

import (
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// chartDir is the chart under test.
const chartDir = "../deskbot"

// Objects is one rendering of the chart: each object's YAML by
// "Kind/name" (names are "desk-deskbot…": release "desk").
type Objects map[string][]byte

// render renders the chart as `helm template desk ../deskbot -f values`
// does, values being YAML over the chart's values.yaml. The error is the
// chart's own (a fail in a template, the values schema).
//
//	objs, err := render(t, "replicaCount: 3")
func render(tb testing.TB, values string) (Objects, error) {
	tb.Helper()
	return renderOn(tb, "v1.31.0", values)
}

// renderOn renders the chart for a cluster of Kubernetes version kube.
func renderOn(tb testing.TB, kube, values string) (Objects, error) {
	tb.Helper()
	caps := chartutil.DefaultCapabilities.Copy()
	kv, err := chartutil.ParseKubeVersion(kube)
	if err != nil {
		tb.Fatal(err)
	}
	caps.KubeVersion = *kv
	chrt, err := loader.Load(chartDir)
	if err != nil {
		tb.Fatalf("load chart: %v", err)
	}
	var user map[string]any
	if err := yaml.Unmarshal([]byte(values), &user); err != nil {
		tb.Fatalf("test values: %v", err)
	}
	if user == nil {
		user = map[string]any{}
	}
	vals, err := chartutil.ToRenderValues(chrt, user,
		chartutil.ReleaseOptions{Name: "desk", Namespace: "support", Revision: 1, IsInstall: true}, caps)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(chrt, vals)
	if err != nil {
		return nil, err
	}
	objs := Objects{}
	for name, text := range files {
		if !strings.HasSuffix(name, ".yaml") {
			continue // NOTES.txt, helpers
		}
		for doc := range strings.SplitSeq(text, "\n---") {
			var head struct {
				Kind     string
				Metadata struct{ Name string }
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				tb.Fatalf("%s: not YAML: %v\n%s", name, err, doc)
			}
			if head.Kind == "" {
				continue // a template that rendered nothing
			}
			key := head.Kind + "/" + head.Metadata.Name
			if _, dup := objs[key]; dup {
				tb.Fatalf("%s rendered twice", key)
			}
			objs[key] = []byte(doc)
		}
	}
	return objs, nil
}

// mustRender is render that fails the test on an error.
func mustRender(tb testing.TB, values string) Objects {
	tb.Helper()
	objs, err := render(tb, values)
	if err != nil {
		tb.Fatalf("render: %v\nvalues:\n%s", err, values)
	}
	return objs
}

// get reads object key into its API type, strictly: a field the type does
// not have is an error, as the API server's strict field validation makes it.
func get[T any](tb testing.TB, objs Objects, key string) *T {
	tb.Helper()
	doc, ok := objs[key]
	if !ok {
		tb.Fatalf("no %s; rendered: %v", key, objs.keys())
	}
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		tb.Fatalf("%s: %v\n%s", key, err, doc)
	}
	return &v
}

func (o Objects) keys() []string {
	var ks []string
	for k := range o {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// container is the Deployment's deskbot container.
func container(tb testing.TB, objs Objects) (*appsv1.Deployment, corev1.Container) {
	tb.Helper()
	d := get[appsv1.Deployment](tb, objs, "Deployment/desk-deskbot")
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != "deskbot" {
		tb.Fatalf("containers %+v, want one named deskbot", cs)
	}
	return d, cs[0]
}

// envOf is the container's plain environment; an entry with valueFrom
// reads "valueFrom".
func envOf(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		m[e.Name] = e.Value
		if e.ValueFrom != nil {
			m[e.Name] = "valueFrom"
		}
	}
	return m
}

func volume(tb testing.TB, d *appsv1.Deployment, name string) corev1.Volume {
	tb.Helper()
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	tb.Fatalf("no volume %q in %+v", name, d.Spec.Template.Spec.Volumes)
	return corev1.Volume{}
}

func mountPath(c corev1.Container, volume string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath
		}
	}
	return ""
}

// strict reads every object into its API type (the ServiceMonitor, a
// custom resource, only as YAML).
func strict(tb testing.TB, objs Objects) {
	tb.Helper()
	for _, key := range objs.keys() {
		switch kind, _, _ := strings.Cut(key, "/"); kind {
		case "Deployment":
			get[appsv1.Deployment](tb, objs, key)
		case "Service":
			get[corev1.Service](tb, objs, key)
		case "Secret":
			get[corev1.Secret](tb, objs, key)
		case "ConfigMap":
			get[corev1.ConfigMap](tb, objs, key)
		case "PersistentVolumeClaim":
			get[corev1.PersistentVolumeClaim](tb, objs, key)
		case "ServiceAccount":
			get[corev1.ServiceAccount](tb, objs, key)
		case "Ingress":
			get[networkingv1.Ingress](tb, objs, key)
		case "PodDisruptionBudget":
			get[policyv1.PodDisruptionBudget](tb, objs, key)
		case "ServiceMonitor":
			get[map[string]any](tb, objs, key)
		default:
			tb.Errorf("%s: no API type to check it against; add one to strict", key)
		}
	}
}

// scaleOut is the values of a deployment that runs several replicas: every
// chat platform in its webhook mode, behind an Ingress with TLS.
const scaleOut = `
replicaCount: 3
env:
  TELEGRAM_MODE: webhook
  TELEGRAM_TRIAGE_CHAT: -1001234567890
secrets:
  values:
    DATABASE_URL: postgres://deskbot:pw@pg:5432/deskbot
    REDIS_URL: redis://redis:6379/0
    TELEGRAM_BOT_TOKEN: "123:abc"
    TELEGRAM_WEBHOOK_SECRET: s3cret
    SLACK_BOT_TOKEN: xoxb-1
    SLACK_SIGNING_SECRET: signing
    METRICS_TOKEN: scrape-me
persistence:
  accessModes: [ReadWriteMany]
ingress:
  enabled: true
  host: desk.example.com
  tls: [{secretName: desk-tls, hosts: [desk.example.com]}]
`
