{{/* The chart's name. */}}
{{- define "metrics-aggregator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The objects' name: the release name, plus the chart name unless the release name contains it. */}}
{{- define "metrics-aggregator.fullname" -}}
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

{{/* Name and version of the chart, for the helm.sh/chart label. */}}
{{- define "metrics-aggregator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "metrics-aggregator.labels" -}}
helm.sh/chart: {{ include "metrics-aggregator.chart" . }}
{{ include "metrics-aggregator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: metrics-aggregator
{{- end }}

{{/* Labels selecting the pods (in the key order YAML round trips give them, as the library renders them). */}}
{{- define "metrics-aggregator.selectorLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/name: {{ include "metrics-aggregator.name" . }}
{{- end }}

{{/* The input of the library's templates: this chart's values are the aggregator settings. */}}
{{- define "metrics-aggregator.libArgs" -}}
{{- $values := deepCopy .Values }}
{{- $_ := set $values "scrapeInterval" .Values.podMonitor.interval }}
{{- $_ = set $values "image" (dict "repository" .Values.image.repository "tag" (.Values.image.tag | default .Chart.AppVersion) "pullPolicy" .Values.image.pullPolicy) }}
{{- toYaml (dict "containers" .Values.containers "values" $values "valuesPath" "" "name" (include "metrics-aggregator.fullname" .) "restricted" .Values.restricted "extra" .Values.initContainers "selectorLabels" (include "metrics-aggregator.selectorLabels" . | fromYaml) "labels" (include "metrics-aggregator.labels" . | fromYaml)) }}
{{- end }}
