package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// crdDir is <repo>/../shared/crds, resolved relative to this file so that
// it works wherever the repository is cloned (shared/ lies beside it).
func crdDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "crds")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("upstream CRDs not found at %s (shared/ must lie beside the repository): %v", dir, err)
	}
	return dir
}

var (
	validatorsMu sync.Mutex
	validators   = map[string]*Validator{}
)

func validatorFor(t *testing.T, level string) *Validator {
	t.Helper()
	validatorsMu.Lock()
	defer validatorsMu.Unlock()
	if v, ok := validators[level]; ok {
		return v
	}
	v := &Validator{crds: newCRDRegistry()}
	if err := v.crds.loadDir(crdDir(t)); err != nil {
		t.Fatal(err)
	}
	if level != "none" {
		c, err := newPSAChecker(level)
		if err != nil {
			t.Fatal(err)
		}
		v.psa = c
	}
	validators[level] = v
	return v
}

// want describes the expected result for one object, in order.
type want struct {
	kind, name string
	errs       []string // each must be a substring of some error; nil means the object must be valid
	count      int      // if > 0, the exact number of errors
}

func TestFixtures(t *testing.T) {
	ok := func(kind, name string) want { return want{kind: kind, name: name} }
	bad := func(kind, name string, errs ...string) want { return want{kind: kind, name: name, errs: errs} }
	exact := func(w want, n int) want { w.count = n; return w }

	psaRestricted := []string{
		`PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)`,
		`PodSecurity "restricted:latest": unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"])`,
		`PodSecurity "restricted:latest": runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)`,
		`PodSecurity "restricted:latest": seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
	}

	tests := []struct {
		file  string
		level string // pod security level, default restricted
		want  []want
	}{
		{file: "deployment-restricted.yaml", want: []want{ok("Deployment", "demo-app")}},
		{file: "bundle-valid.yaml", want: []want{
			ok("ServiceAccount", "demo-app"), ok("Service", "demo-app"), ok("ConfigMap", "demo-app-config"),
			ok("PodDisruptionBudget", "demo-app"), ok("NetworkPolicy", "demo-app-metrics"), ok("Role", "demo-app"),
			ok("RoleBinding", "demo-app"), ok("CronJob", "demo-cleanup"),
		}},
		{file: "deployment-unknown-field-top.yaml", want: []want{exact(bad("Deployment", "demo-app", `unknown field "labels"`), 1)}},
		{file: "deployment-unknown-field-container.yaml", want: []want{exact(bad("Deployment", "demo-app",
			`unknown field "spec.template.spec.containers[0].resource"`,
			`unknown field "spec.template.spec.containers[0].securityContext.runAsNonroot"`), 2)}},
		{file: "deployment-wrong-type.yaml", want: []want{exact(bad("Deployment", "demo-app",
			`cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`), 1)}},
		{file: "deployment-wrong-type-nested.yaml", want: []want{exact(bad("Deployment", "demo-app",
			`cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32`), 1)}},
		{file: "deployment-duplicate-field.yaml", want: []want{exact(bad("Deployment", "demo-app", `key "replicas" already set in map`), 1)}},
		{file: "deployment-not-restricted.yaml", want: []want{exact(bad("Deployment", "demo-app", psaRestricted...), 4)}},
		{file: "deployment-not-restricted.yaml", level: "baseline", want: []want{ok("Deployment", "demo-app")}},
		{file: "pod-privileged.yaml", level: "baseline", want: []want{exact(bad("Pod", "debug",
			`PodSecurity "baseline:latest": host namespaces (hostNetwork=true)`,
			`PodSecurity "baseline:latest": hostPath volumes (volume "root")`,
			`PodSecurity "baseline:latest": privileged (container "shell" must not set securityContext.privileged=true)`), 3)}},
		{file: "pod-privileged.yaml", level: "privileged", want: []want{ok("Pod", "debug")}},
		{file: "pod-privileged.yaml", level: "none", want: []want{ok("Pod", "debug")}},
		{file: "deployment-semantic-errors.yaml", want: []want{exact(bad("Deployment", "Demo_App",
			`metadata.name: Invalid value: "Demo_App": a lowercase RFC 1123 subdomain`,
			`metadata.labels: Invalid value: "bad label!"`,
			"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`",
			`spec.template.spec.containers[0].name: Invalid value: "App": a lowercase RFC 1123 label`,
			`spec.template.spec.containers[0].image: Required value`,
			`spec.template.spec.containers[0].ports[0].name: Invalid value: "this-name-is-too-long": must be no more than 15 characters`,
			`spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535`,
			`spec.template.spec.containers[0].volumeMounts[0].name: Not found: "missing"`), 8)}},
		{file: "podmonitor-valid.yaml", want: []want{ok("PodMonitor", "demo-app")}},
		{file: "servicemonitor-prometheusrule-valid.yaml", want: []want{ok("ServiceMonitor", "demo-app"), ok("PrometheusRule", "demo-app")}},
		{file: "podmonitor-unknown-field.yaml", want: []want{exact(bad("PodMonitor", "demo-app",
			`unknown field "spec.podMetricsEndpoints[0].scrapeInterval"`), 1)}},
		{file: "podmonitor-schema-errors.yaml", want: []want{exact(bad("PodMonitor", "demo-app",
			`spec.podMetricsEndpoints[0].scheme: Unsupported value: "ftp"`,
			`spec.podMetricsEndpoints[0].interval: Invalid value: "30 seconds": spec.podMetricsEndpoints[0].interval in body should match`,
			`spec.podMetricsEndpoints[0].honorLabels: Invalid value: "string": spec.podMetricsEndpoints[0].honorLabels in body must be of type boolean`,
			`spec.selector: Required value`), 4)}},
		{file: "cr-list-and-range-errors.yaml", want: []want{
			exact(bad("PodMonitor", "demo-app",
				`spec.sampleLimit: Invalid value: -1: spec.sampleLimit in body should be greater than or equal to 0`,
				`spec.scrapeProtocols[1]: Duplicate value: "PrometheusText0.0.4"`), 2),
			exact(bad("PrometheusRule", "demo-app", `spec.groups[1]: Duplicate value: map[string]interface {}{"name":"g"}`), 1),
		}},
		{file: "cr-metadata-errors.yaml", want: []want{exact(bad("PodMonitor", "Demo_App",
			`unknown field "metadata.labelz"`,
			`metadata.name: Invalid value: "Demo_App"`), 2)}},
		{file: "peerauthentication-valid.yaml", want: []want{ok("PeerAuthentication", "demo-app"), ok("PeerAuthentication", "default")}},
		{file: "peerauthentication-portlevel-no-selector.yaml", want: []want{
			exact(bad("PeerAuthentication", "demo-app", `spec: Invalid value: "object": portLevelMtls requires selector`), 1),
			exact(bad("PeerAuthentication", "demo-app-beta", `spec.portLevelMtls: Invalid value: "object": port must be between 1-65535`), 1),
		}},
		{file: "authorizationpolicy.yaml", want: []want{
			ok("AuthorizationPolicy", "allow-metrics"),
			exact(bad("AuthorizationPolicy", "selector-and-targetref", `spec: Invalid value: "object": only one of targetRefs or selector can be set`), 1),
			exact(bad("AuthorizationPolicy", "bad-action", `spec.action: Unsupported value: "DENYY"`,
				`some validation rules were not checked because the object was invalid`), 2),
		}},
		{file: "unknown-kind.yaml", want: []want{
			bad("Widget", "w", "no schema for example.com/v1, Kind=Widget"),
			bad("Deployment", "old", "no schema for extensions/v1beta1, Kind=Deployment"),
			bad("PodMonitor", "old", `no schema for monitoring.coreos.com/v1alpha1, Kind=PodMonitor: CRD podmonitors.monitoring.coreos.com does not serve version "v1alpha1"`),
			bad("Widget", "w", "no schema for v1, Kind=Widget"),
		}},
		{file: "list.yaml", want: []want{
			ok("ConfigMap", "a"),
			exact(bad("ConfigMap", "b", `unknown field "dataa"`), 1),
			ok("PodMonitor", "c"),
		}},
		{file: "not-yaml.yaml", want: []want{
			bad("", "", "invalid YAML"),
			bad("", "", "document is not an object"),
			ok("ConfigMap", "fine"),
		}},
		{file: "crds-invalid/widgets.yaml", want: []want{
			bad("CustomResourceDefinition", "widgets.wrong.example.com",
				`metadata.name: Invalid value: "widgets.wrong.example.com": must be spec.names.plural+"."+spec.group`,
				`spec.validation.openAPIV3Schema.properties[spec].properties[size].type: Required value`),
			bad("CustomResourceDefinition", "gadgets.example.com", `compilation failed: ERROR: <input>:1:5: undefined field 'nosuchfield'`),
		}},
	}
	for _, tc := range tests {
		level := tc.level
		if level == "" {
			level = "restricted"
		}
		t.Run(tc.file+"/"+level, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := validatorFor(t, level).ValidateStream(tc.file, data)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d results, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Kind != w.kind || g.Name != w.name {
					t.Errorf("result %d: got %s/%s, want %s/%s", i, g.Kind, g.Name, w.kind, w.name)
				}
				if w.errs == nil {
					if len(g.Errors) != 0 {
						t.Errorf("%s/%s: want valid, got errors:\n  %s", g.Kind, g.Name, strings.Join(g.Errors, "\n  "))
					}
					continue
				}
				for _, sub := range w.errs {
					found := false
					for _, e := range g.Errors {
						if strings.Contains(e, sub) {
							found = true
							break
						}
					}
					if !found {
						t.Errorf("%s/%s: no error contains %q; errors:\n  %s", g.Kind, g.Name, sub, strings.Join(g.Errors, "\n  "))
					}
				}
				if w.count > 0 && len(g.Errors) != w.count {
					t.Errorf("%s/%s: got %d errors, want %d:\n  %s", g.Kind, g.Name, len(g.Errors), w.count, strings.Join(g.Errors, "\n  "))
				}
			}
		})
	}
}

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLIText(t *testing.T) {
	dir := crdDir(t)
	code, out, _ := runCLI(t, "", "--crds", dir, "testdata/deployment-restricted.yaml", "testdata/podmonitor-valid.yaml")
	if code != 0 || out != "OK Deployment/demo-app\nOK PodMonitor/demo-app\n" {
		t.Fatalf("code %d, output:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "testdata/podmonitor-unknown-field.yaml", "--crds", dir)
	want := `testdata/podmonitor-unknown-field.yaml: PodMonitor/demo-app: unknown field "spec.podMetricsEndpoints[0].scrapeInterval"` + "\n"
	if code != 1 || out != want {
		t.Fatalf("code %d, output:\n%s", code, out)
	}
}

func TestCLIJSON(t *testing.T) {
	dir := crdDir(t)
	code, out, _ := runCLI(t, "", "--crds", dir, "--format", "json", "testdata/peerauthentication-portlevel-no-selector.yaml", "testdata/list.yaml")
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	var res []map[string]interface{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	if len(res) != 5 {
		t.Fatalf("got %d results, want 5:\n%s", len(res), out)
	}
	first := res[0]
	for k, v := range map[string]interface{}{
		"file": "testdata/peerauthentication-portlevel-no-selector.yaml", "index": 0.0,
		"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "name": "demo-app",
	} {
		if first[k] != v {
			t.Errorf("%s = %v, want %v", k, first[k], v)
		}
	}
	if errs := first["errors"].([]interface{}); len(errs) != 1 || !strings.Contains(errs[0].(string), "portLevelMtls requires selector") {
		t.Errorf("errors = %v", errs)
	}
	if res[1]["index"] != 1.0 || res[1]["apiVersion"] != "security.istio.io/v1beta1" {
		t.Errorf("second result: %v", res[1])
	}
	// valid objects carry an empty (not null) errors array; list items carry "item"
	if errs, ok := res[2]["errors"].([]interface{}); !ok || len(errs) != 0 || res[2]["item"] != 0.0 {
		t.Errorf("list item 0: %v", res[2])
	}
	if _, has := res[0]["item"]; has {
		t.Errorf("non-list result has an item field: %v", res[0])
	}
}

func TestCLIStdin(t *testing.T) {
	dir := crdDir(t)
	doc := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"1","k":"2"}}`
	code, out, _ := runCLI(t, doc, "--crds", dir)
	if code != 1 || !strings.Contains(out, `<stdin>: ConfigMap/a: strict decoding error`) || !strings.Contains(out, `key "k" already set in map`) {
		t.Fatalf("code %d, output:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", "--crds", dir, "-")
	if code != 0 || out != "OK ConfigMap/a\n" {
		t.Fatalf("code %d, output:\n%s", code, out)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	dir := crdDir(t)
	for _, args := range [][]string{
		{"testdata/podmonitor-valid.yaml"},                                      // no --crds
		{"--crds", "testdata/does-not-exist", "testdata/podmonitor-valid.yaml"}, // missing CRD dir
		{"--crds", dir, "testdata/does-not-exist.yaml"},                         // unreadable file
		{"--crds", dir, "--format", "xml", "testdata/podmonitor-valid.yaml"},
		{"--crds", dir, "--pod-security", "strict", "testdata/podmonitor-valid.yaml"},
		{"--crds", dir, "--no-such-flag"},
		{"--crds", "testdata/crds-invalid", "testdata/podmonitor-valid.yaml"}, // invalid CRD in --crds
	} {
		if code, out, errOut := runCLI(t, "", args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d (want 2), stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}
