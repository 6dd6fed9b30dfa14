{{/*
metrics-aggregator-lib.containers: the pod's containers list: the application containers (without
their `metrics` key, which is the library's, not Kubernetes') and the sidecar, unless it runs as a
native sidecar (then see metrics-aggregator-lib.initContainers). With `restricted: true` in the
input, every application container gets allowPrivilegeEscalation: false and capabilities drop ALL
where it sets neither, for Pod Security "restricted".
  containers:
    {{- include "metrics-aggregator-lib.containers" $args | nindent 4 }}
*/}}
{{- define "metrics-aggregator-lib.containers" -}}
{{- include "metrics-aggregator-lib.validate" . -}}
{{- $cfg := include "metrics-aggregator-lib.config" . | fromYaml -}}
{{- $restricted := .restricted -}}
{{- $out := list -}}
{{- range .containers }}
{{- $c := omit . "metrics" }}
{{- if $restricted }}
{{- $sc := deepCopy ($c.securityContext | default dict) }}
{{- if not (hasKey $sc "allowPrivilegeEscalation") }}{{- $_ := set $sc "allowPrivilegeEscalation" false }}{{- end }}
{{- if not (hasKey $sc "capabilities") }}{{- $_ := set $sc "capabilities" (dict "drop" (list "ALL")) }}{{- end }}
{{- $_ := set $c "securityContext" $sc }}
{{- end }}
{{- $out = append $out $c }}
{{- end }}
{{- toYaml $out }}
{{- if not $cfg.nativeSidecar }}
{{ include "metrics-aggregator-lib.sidecar" . }}
{{- end }}
{{- end -}}

{{/*
metrics-aggregator-lib.initContainers: the sidecar as an init container with restartPolicy: Always
when values.nativeSidecar is true (Kubernetes 1.29+), followed by `extra` (a list) if given; empty
when there is nothing to list.
*/}}
{{- define "metrics-aggregator-lib.initContainers" -}}
{{- $cfg := include "metrics-aggregator-lib.config" . | fromYaml -}}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- if $cfg.nativeSidecar }}
{{ include "metrics-aggregator-lib.sidecar" . }}
{{- end }}
{{- end -}}
