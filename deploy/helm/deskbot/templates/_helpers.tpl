{{/* Names and labels. */}}
{{- define "deskbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "deskbot.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "deskbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "deskbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "deskbot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "deskbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "deskbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "deskbot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The variables deskbot reads (cmd/deskbot/config.go and sla.go), by where
the chart takes them from. chartest checks these lists against the code.
*/}}
{{- define "deskbot.vars.secret" -}}
DATABASE_URL REDIS_URL METRICS_TOKEN WEBHOOK_SECRET TELEGRAM_BOT_TOKEN TELEGRAM_WEBHOOK_SECRET SLACK_BOT_TOKEN SLACK_APP_TOKEN SLACK_SIGNING_SECRET SMTP_URL SMS_WEBHOOK_TOKEN
{{- end }}
{{- define "deskbot.vars.plain" -}}
REDIS_PREFIX TZ_NAME LOG_LEVEL PUBLIC_URL DIALOG_IDLE_TIMEOUT PROGRESS_EVERY START_TIMEOUT TELEGRAM_API_URL TELEGRAM_MODE TELEGRAM_WEBHOOK_URL TELEGRAM_TRIAGE_CHAT SLACK_API_URL SLACK_TRIAGE_CHANNEL SLA_POLL
{{- end }}
{{/* URLs that may carry a token: in env or in the secrets. */}}
{{- define "deskbot.vars.either" -}}
WEBHOOK_URL SMS_WEBHOOK_URL
{{- end }}
{{- define "deskbot.vars.chart" -}}
DESKBOT_DATA HTTP_ADDR FORMS_DIR SLA_POLICY_FILE SLA_HOLIDAYS_FILE
{{- end }}

{{/* The Secret mounted at /run/secrets/deskbot; empty when there is none. */}}
{{- define "deskbot.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else if include "deskbot.secretKeys" . }}
{{- include "deskbot.fullname" . }}
{{- end }}
{{- end }}

{{/* The secret variables deskbot gets, space-separated and sorted. */}}
{{- define "deskbot.secretKeys" -}}
{{- $keys := list }}
{{- if .Values.secrets.existingSecret }}
{{- $keys = .Values.secrets.existingSecretKeys | default list }}
{{- else }}
{{- range $k, $v := .Values.secrets.values | default dict }}
{{- if $v }}{{ $keys = append $keys $k }}{{ end }}
{{- end }}
{{- end }}
{{- $keys | uniq | sortAlpha | join " " }}
{{- end }}

{{/* "true" when the secrets hold variable $.key. */}}
{{- define "deskbot.hasSecret" -}}
{{- if has .key (splitList " " (include "deskbot.secretKeys" .root)) }}true{{ end }}
{{- end }}

{{- define "deskbot.telegramWebhook" -}}
{{- if and (include "deskbot.hasSecret" (dict "root" . "key" "TELEGRAM_BOT_TOKEN")) (eq (.Values.env.TELEGRAM_MODE | default "poll") "webhook") }}true{{ end }}
{{- end }}

{{- define "deskbot.slackHTTP" -}}
{{- if and (include "deskbot.hasSecret" (dict "root" . "key" "SLACK_BOT_TOKEN")) (not (include "deskbot.hasSecret" (dict "root" . "key" "SLACK_APP_TOKEN"))) }}true{{ end }}
{{- end }}

{{/* PUBLIC_URL: env.PUBLIC_URL, else the Ingress host (https with TLS). */}}
{{- define "deskbot.publicURL" -}}
{{- if .Values.env.PUBLIC_URL }}
{{- .Values.env.PUBLIC_URL | trimSuffix "/" }}
{{- else if and .Values.ingress.enabled .Values.ingress.host }}
{{- $tls := false }}
{{- range .Values.ingress.tls }}{{ if has $.Values.ingress.host (.hosts | default list) }}{{ $tls = true }}{{ end }}{{ end }}
{{- printf "%s://%s" (ternary "https" "http" $tls) .Values.ingress.host }}
{{- end }}
{{- end }}

{{- define "deskbot.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{/* An env value as text: a whole number from YAML (a float) without an exponent. */}}
{{- define "deskbot.envValue" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) }}
{{- int64 . }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}
