{{/* The release's name, at most 63 characters. */}}
{{- define "doorbraak.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "doorbraak.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "doorbraak.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Several replicas share one database: only PostgreSQL can be shared. */}}
{{- define "doorbraak.check" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (hasPrefix "postgres" .Values.database.url)) -}}
{{- fail "replicaCount > 1 needs database.url = postgres://... (SQLite is one process's file)" -}}
{{- end -}}
{{- end -}}
