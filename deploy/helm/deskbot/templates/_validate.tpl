{{/*
deskbot.validate stops the rendering (fail) on values deskbot cannot run
with; the deployment includes it. Each message says what to change.
*/}}
{{- define "deskbot.validate" -}}
{{- $secret := splitList " " (include "deskbot.vars.secret" .) }}
{{- $plain := splitList " " (include "deskbot.vars.plain" .) }}
{{- $either := splitList " " (include "deskbot.vars.either" .) }}
{{- $chart := splitList " " (include "deskbot.vars.chart" .) }}

{{- range $k, $v := .Values.env | default dict }}
{{- if has $k $chart }}
{{- fail (printf "env.%s: set by the chart (DESKBOT_DATA is the volume, HTTP_ADDR the container port, FORMS_DIR and SLA_*_FILE come from forms and sla)" $k) }}
{{- else if has $k $secret }}
{{- fail (printf "env.%s: a secret; put it in secrets.values.%s, or in secrets.existingSecret (listed in secrets.existingSecretKeys)" $k $k) }}
{{- else if not (or (has $k $plain) (has $k $either)) }}
{{- fail (printf "env.%s: not a variable deskbot reads (see Configuration in the README)" $k) }}
{{- end }}
{{- end }}

{{- if and .Values.secrets.existingSecret (not .Values.secrets.existingSecretKeys) }}
{{- fail (printf "secrets.existingSecretKeys: list the variables Secret %q holds, e.g. [DATABASE_URL, REDIS_URL]; the chart mounts those and checks its rules against them" .Values.secrets.existingSecret) }}
{{- end }}
{{- range $k := splitList " " (include "deskbot.secretKeys" .) }}
{{- if and $k (not (or (has $k $secret) (has $k $either))) }}
{{- if has $k $plain }}
{{- fail (printf "secrets: %s is not a secret; set it in env.%s" $k $k) }}
{{- else }}
{{- fail (printf "secrets: %s is not a secret variable deskbot reads (one of %s %s)" $k (include "deskbot.vars.secret" $) (include "deskbot.vars.either" $)) }}
{{- end }}
{{- end }}
{{- end }}

{{- $mode := .Values.env.TELEGRAM_MODE | default "poll" }}
{{- if not (has $mode (list "poll" "webhook")) }}
{{- fail (printf "env.TELEGRAM_MODE: %q is not poll or webhook" $mode) }}
{{- end }}
{{- if and (include "deskbot.telegramWebhook" .) (not (include "deskbot.hasSecret" (dict "root" . "key" "TELEGRAM_WEBHOOK_SECRET"))) }}
{{- fail "TELEGRAM_WEBHOOK_SECRET: required with env.TELEGRAM_MODE=webhook (Telegram sends it with every update; deskbot refuses updates without it)" }}
{{- end }}

{{- $n := int .Values.replicaCount }}
{{- if gt $n 1 }}
{{- $why := printf "replicaCount=%d: several replicas" $n }}
{{- if not (include "deskbot.hasSecret" (dict "root" . "key" "DATABASE_URL")) }}
{{- fail (printf "%s need Postgres: set secrets.values.DATABASE_URL (or list DATABASE_URL in secrets.existingSecretKeys); without it each replica would keep its own SQLite file" $why) }}
{{- end }}
{{- if not (include "deskbot.hasSecret" (dict "root" . "key" "REDIS_URL")) }}
{{- fail (printf "%s need Redis: set secrets.values.REDIS_URL (or list REDIS_URL in secrets.existingSecretKeys); without it dialog sessions, de-duplication and live pages stay in each process" $why) }}
{{- end }}
{{- if and (include "deskbot.hasSecret" (dict "root" . "key" "TELEGRAM_BOT_TOKEN")) (ne $mode "webhook") }}
{{- fail (printf "%s need Telegram in webhook mode: Telegram allows one poller per bot (TELEGRAM_MODE=poll). Set env.TELEGRAM_MODE=webhook and TELEGRAM_WEBHOOK_SECRET, and route /telegram/webhook to deskbot over HTTPS (ingress), or run one replica" $why) }}
{{- end }}
{{- if and (include "deskbot.hasSecret" (dict "root" . "key" "SLACK_BOT_TOKEN")) (include "deskbot.hasSecret" (dict "root" . "key" "SLACK_APP_TOKEN")) }}
{{- fail (printf "%s need Slack in HTTP mode (any replica takes any request; bot/slack/README.md): drop SLACK_APP_TOKEN (Socket Mode), set SLACK_SIGNING_SECRET and point the Slack app at /slack/events, /slack/interactivity and /slack/commands, or run one replica" $why) }}
{{- end }}
{{- if not (and .Values.persistence.enabled (has "ReadWriteMany" (.Values.persistence.accessModes | default list))) }}
{{- fail (printf "%s must share the attachments in DESKBOT_DATA: set persistence.enabled=true with persistence.accessModes=[ReadWriteMany] (a storage class that offers it: NFS, CephFS, EFS, Azure Files…), or run one replica" $why) }}
{{- end }}
{{- end }}
{{- end }}
