{{/*
metrics-aggregator-lib.validate: fails the render, naming the value, on settings that cannot work.
Renders nothing otherwise. Every other template of the library calls it.
*/}}
{{- define "metrics-aggregator-lib.validate" -}}
{{- $cfg := include "metrics-aggregator-lib.config" . | fromYaml -}}
{{- $p := .valuesPath | default "" -}}
{{- $cp := .containersPath | default "containers" -}}
{{- $modes := list "istio-metrics-merge" "port-level-exception" "no-mesh" -}}
{{- if not (has $cfg.mode $modes) -}}
{{- fail (printf "%smode is %q; expected one of istio-metrics-merge, port-level-exception, no-mesh" $p $cfg.mode) -}}
{{- end -}}
{{- $port := int $cfg.port -}}
{{- if or (lt $port 1) (gt $port 65535) -}}
{{- fail (printf "%sport %d is not a port number (1-65535)" $p $port) -}}
{{- end -}}
{{- if or (not (regexMatch "^[a-zA-Z_][a-zA-Z0-9_]*$" $cfg.originLabel)) (hasPrefix "__" $cfg.originLabel) (has $cfg.originLabel (list "le" "quantile")) -}}
{{- fail (printf "%soriginLabel %q is not a usable Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not __-prefixed, not le or quantile)" $p $cfg.originLabel) -}}
{{- end -}}
{{- if and $cfg.peerAuthentication.enabled (not $cfg.meshed) -}}
{{- fail (printf "%speerAuthentication.enabled: true with %smode: no-mesh would make the pod STRICT while its PodMonitor scrapes the aggregator over plain HTTP, which Envoy refuses; use mode port-level-exception or istio-metrics-merge" $p $p) -}}
{{- end -}}
{{- if and $cfg.meshed (has $port (list 15000 15001 15004 15006 15008 15020 15021 15090)) -}}
{{- fail (printf "%sport %d is one Istio's sidecar listens on (15000, 15001, 15004, 15006, 15008, 15020, 15021, 15090); set %sport to a free one" $p $port $p) -}}
{{- end -}}
{{- if empty .containers -}}
{{- fail (printf "%s is empty; declare at least one container, with metrics.port set on those to scrape" $cp) -}}
{{- end -}}
{{- $scraped := 0 -}}
{{- range $i, $c := .containers -}}
{{- $at := printf "%s[%d] (%s)" $cp $i ($c.name | default "?") -}}
{{- if eq ($c.name | default "") "metrics-aggregator" -}}
{{- fail (printf "%s: the name metrics-aggregator is the sidecar's; rename the container" $at) -}}
{{- end -}}
{{- range $c.ports -}}
{{- if eq (int .containerPort) $port -}}
{{- fail (printf "%s: port %d clashes with the aggregator's %sport; set %sport to a free one" $at $port $p $p) -}}
{{- end -}}
{{- end -}}
{{- with $c.metrics -}}
{{- $scraped = add1 $scraped -}}
{{- $found := false -}}
{{- range $c.ports -}}
{{- if or (and (hasKey $c.metrics "port") (eq (int .containerPort) (int $c.metrics.port))) (and (hasKey $c.metrics "portName") (eq (.name | default "") (toString $c.metrics.portName))) -}}
{{- $found = true -}}
{{- end -}}
{{- end -}}
{{- if not (or (hasKey . "port") (hasKey . "portName")) -}}
{{- fail (printf "%s: metrics needs port or portName, one of the container's ports" $at) -}}
{{- end -}}
{{- if not $found -}}
{{- $declared := list -}}
{{- range $c.ports -}}{{- $declared = append $declared (ternary (printf "%s=%d" (.name | default "") (int .containerPort)) (printf "%d" (int .containerPort)) (not (empty .name))) -}}{{- end -}}
{{- $want := ternary (printf "port %d" (int (.port | default 0))) (printf "portName %q" (toString (.portName | default ""))) (hasKey . "port") -}}
{{- fail (printf "%s: metrics.%s is not one of the container's ports (it declares: %s); add it to %s[%d].ports" $at $want (join ", " $declared | default "none") $cp $i) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if eq $scraped 0 -}}
{{- fail (printf "no container of %s has metrics set; give metrics.port to each container the aggregator should scrape" $cp) -}}
{{- end -}}
{{- end -}}
