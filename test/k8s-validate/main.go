// Command k8s-validate validates Kubernetes manifests offline with
// Kubernetes' own code: strict decoding into k8s.io/api types, CRD
// structural-schema and CEL validation via k8s.io/apiextensions-apiserver,
// and Pod Security Admission via k8s.io/pod-security-admission.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

const usageText = `usage: k8s-validate --crds DIR [--crds DIR]... [--pod-security restricted|baseline|privileged|none] [--format text|json] [FILE|-]...

Validates every object of the given multi-document YAML files (stdin if no
FILE or "-") as a Kubernetes 1.32 API server would on create.

  --crds DIR            directory whose *.yaml/*.yml CustomResourceDefinitions define
                        the custom resources that may appear (required; repeatable)
  --pod-security LEVEL  Pod Security Admission level for objects with a pod template
                        (default restricted; "none" disables the check)
  --format text|json    output format (default text)

Exit status: 0 all objects valid, 1 some object invalid, 2 usage error.
`

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("k8s-validate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var crdDirs stringList
	fs.Var(&crdDirs, "crds", "")
	podSecurity := fs.String("pod-security", "restricted", "")
	format := fs.String("format", "text", "")
	usageErr := func(format string, a ...interface{}) int {
		fmt.Fprintf(stderr, "k8s-validate: "+format+"\n", a...)
		fmt.Fprintln(stderr, strings.SplitN(usageText, "\n", 2)[0])
		return 2
	}
	// Allow flags and files in any order.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				fmt.Fprint(stdout, usageText)
				return 0
			}
			return usageErr("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(crdDirs) == 0 {
		return usageErr("--crds DIR is required")
	}
	if *format != "text" && *format != "json" {
		return usageErr("--format must be text or json, got %q", *format)
	}
	v := &Validator{crds: newCRDRegistry()}
	switch *podSecurity {
	case "none":
	case "restricted", "baseline", "privileged":
		c, err := newPSAChecker(*podSecurity)
		if err != nil {
			return usageErr("%v", err)
		}
		v.psa = c
	default:
		return usageErr("--pod-security must be restricted, baseline, privileged or none, got %q", *podSecurity)
	}
	for _, d := range crdDirs {
		if err := v.crds.loadDir(d); err != nil {
			return usageErr("%v", err)
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	for _, f := range files {
		var data []byte
		var err error
		name := f
		if f == "-" {
			name = "<stdin>"
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			return usageErr("cannot read %s: %v", name, err)
		}
		inputs = append(inputs, input{name, data})
	}

	results := []Result{}
	for _, in := range inputs {
		results = append(results, v.ValidateStream(in.name, in.data)...)
	}
	failed := 0
	for _, r := range results {
		if len(r.Errors) > 0 {
			failed++
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintf(stderr, "k8s-validate: %v\n", err)
			return 2
		}
	} else {
		for _, r := range results {
			if len(r.Errors) == 0 {
				fmt.Fprintf(stdout, "OK %s\n", r.ident())
				continue
			}
			for _, e := range r.Errors {
				fmt.Fprintf(stdout, "%s: %s: %s\n", r.File, r.ident(), oneLine(e))
			}
		}
	}
	if len(results) == 0 {
		fmt.Fprintln(stderr, "k8s-validate: warning: no objects found in the input")
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "k8s-validate: %d of %d objects invalid\n", failed, len(results))
		return 1
	}
	return 0
}

func (r Result) ident() string {
	if r.Kind == "" && r.Name == "" {
		return fmt.Sprintf("document %d (line %d)", r.Index, r.Line)
	}
	id := r.Kind + "/" + r.Name
	if r.Item != nil {
		id += fmt.Sprintf(" (item %d)", *r.Item)
	}
	return id
}

var newlines = regexp.MustCompile(`\s*\n\s*`)

func oneLine(s string) string { return newlines.ReplaceAllString(strings.TrimSpace(s), " ") }
