package main

import (
	"bytes"
	"encoding/json"

	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Result is the outcome for one object. It is also the JSON output shape.
type Result struct {
	File       string   `json:"file"`
	Index      int      `json:"index"`          // 0-based among the non-empty documents of File
	Item       *int     `json:"item,omitempty"` // 0-based position inside a List document
	Line       int      `json:"line"`           // 1-based line where the document starts
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Namespace  string   `json:"namespace,omitempty"`
	Errors     []string `json:"errors"`
}

// Validator validates Kubernetes objects offline.
type Validator struct {
	crds *crdRegistry
	psa  *psaChecker // nil: Pod Security Admission disabled
}

type yamlDoc struct {
	index int // position among all documents (empty ones included)
	line  int // 1-based start line
	data  []byte
}

// splitYAML splits a multi-document YAML stream on "---" lines (a separator
// may be followed by a comment), like k8s.io/apimachinery's YAMLReader.
func splitYAML(data []byte) ([]yamlDoc, error) {
	var docs []yamlDoc
	var cur bytes.Buffer
	start := 1
	lines := bytes.SplitAfter(data, []byte("\n"))
	flush := func(next int) {
		docs = append(docs, yamlDoc{index: len(docs), line: start, data: append([]byte(nil), cur.Bytes()...)})
		cur.Reset()
		start = next
	}
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte("---")) {
			rest := strings.TrimSpace(string(l[3:]))
			if rest == "" || strings.HasPrefix(rest, "#") {
				flush(i + 2)
				continue
			}
			return nil, fmt.Errorf("line %d: invalid document separator %q (only a comment may follow ---)", i+1, strings.TrimRight(string(l), "\r\n"))
		}
		cur.Write(l)
	}
	flush(0)
	return docs, nil
}

// yamlToJSON converts one YAML document to JSON, rejecting duplicate keys
// (sigs.k8s.io/yaml YAMLToJSONStrict, what kubectl and the strict API
// server decoders use). A nil result means an empty document.
func yamlToJSON(doc []byte) ([]byte, error) {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	j = bytes.TrimSpace(j)
	if len(j) == 0 || string(j) == "null" {
		return nil, nil
	}
	return j, nil
}

// ValidateStream validates every object in a multi-document YAML stream.
func (v *Validator) ValidateStream(file string, data []byte) []Result {
	docs, err := splitYAML(data)
	if err != nil {
		return []Result{{File: file, Index: 0, Line: 1, Errors: []string{err.Error()}}}
	}
	var results []Result
	n := 0
	for _, d := range docs {
		base := Result{File: file, Index: n, Line: d.line}
		j, err := yaml.YAMLToJSONStrict(d.data)
		if err != nil {
			// Duplicate keys are a strict error; other errors are syntax errors.
			lax, laxErr := yaml.YAMLToJSON(d.data)
			if laxErr != nil {
				base.Errors = []string{fmt.Sprintf("invalid YAML: %v", err)}
				results = append(results, base)
				n++
				continue
			}
			if bytes.Equal(bytes.TrimSpace(lax), []byte("null")) {
				continue
			}
			r := v.validateJSON(base, lax)
			for i := range r {
				r[i].Errors = append([]string{fmt.Sprintf("strict decoding error: %v", err)}, r[i].Errors...)
			}
			results = append(results, r...)
			n++
			continue
		}
		j = bytes.TrimSpace(j)
		if len(j) == 0 || string(j) == "null" {
			continue // empty or comment-only document
		}
		results = append(results, v.validateJSON(base, j)...)
		n++
	}
	return results
}

func (v *Validator) validateJSON(base Result, j []byte) []Result {
	var generic interface{}
	strictErrs, err := kjson.UnmarshalStrict(j, &generic)
	if err != nil {
		base.Errors = []string{fmt.Sprintf("invalid document: %v", err)}
		return []Result{base}
	}
	obj, ok := generic.(map[string]interface{})
	if !ok {
		base.Errors = []string{fmt.Sprintf("document is not an object (got %T)", generic)}
		return []Result{base}
	}
	var pre []string
	for _, e := range strictErrs {
		pre = append(pre, "strict decoding error: "+e.Error())
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if items, isList := listItems(obj, apiVersion, kind); isList {
		var out []Result
		for i, it := range items {
			r := base
			idx := i
			r.Item = &idx
			itemObj, ok := it.(map[string]interface{})
			if !ok {
				r.Errors = []string{fmt.Sprintf("items[%d]: not an object", i)}
				out = append(out, r)
				continue
			}
			// Items of a typed list (e.g. DeploymentList) may omit their type.
			if _, has := itemObj["apiVersion"]; !has && kind != "List" {
				itemObj["apiVersion"] = apiVersion
			}
			if _, has := itemObj["kind"]; !has && kind != "List" {
				itemObj["kind"] = strings.TrimSuffix(kind, "List")
			}
			ij, err := json.Marshal(itemObj)
			if err != nil {
				r.Errors = []string{err.Error()}
				out = append(out, r)
				continue
			}
			res := v.validateObject(r, itemObj, ij)
			res.Errors = append(append([]string{}, pre...), res.Errors...)
			out = append(out, res)
		}
		if len(out) == 0 && len(pre) > 0 {
			base.APIVersion, base.Kind, base.Errors = apiVersion, kind, pre
			out = append(out, base)
		}
		return out
	}
	r := v.validateObject(base, obj, j)
	r.Errors = append(pre, r.Errors...)
	if r.Errors == nil {
		r.Errors = []string{}
	}
	return []Result{r}
}

// listItems recognises "kind: List" (v1) and typed lists ("FooList") that carry an items array.
func listItems(obj map[string]interface{}, apiVersion, kind string) ([]interface{}, bool) {
	if kind != "List" && !strings.HasSuffix(kind, "List") {
		return nil, false
	}
	raw, has := obj["items"]
	if !has {
		return nil, false
	}
	if raw == nil {
		return nil, true
	}
	items, ok := raw.([]interface{})
	if !ok {
		return nil, false
	}
	return items, true
}

func (v *Validator) validateObject(r Result, obj map[string]interface{}, j []byte) Result {
	r.Errors = []string{}
	apiVersion, avOK := obj["apiVersion"].(string)
	kind, kOK := obj["kind"].(string)
	r.APIVersion, r.Kind = apiVersion, kind
	if md, ok := obj["metadata"].(map[string]interface{}); ok {
		if n, ok := md["name"].(string); ok {
			r.Name = n
		} else if n, ok := md["generateName"].(string); ok {
			r.Name = n
		}
		if ns, ok := md["namespace"].(string); ok {
			r.Namespace = ns
		}
	}
	if !avOK || apiVersion == "" {
		r.Errors = append(r.Errors, "apiVersion: Required value: apiVersion must be a non-empty string")
	}
	if !kOK || kind == "" {
		r.Errors = append(r.Errors, "kind: Required value: kind must be a non-empty string")
	}
	if len(r.Errors) > 0 {
		return r
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		r.Errors = append(r.Errors, fmt.Sprintf("apiVersion: Invalid value: %q: %v", apiVersion, err))
		return r
	}
	gvk := gv.WithKind(kind)

	if typed, ok := newBuiltin(gvk); ok {
		r.Errors = append(r.Errors, v.validateBuiltin(typed, gvk, j)...)
		return r
	}
	info, ver, err := v.crds.lookup(gvk)
	if err != nil {
		r.Errors = append(r.Errors, err.Error())
		return r
	}
	if info != nil {
		r.Errors = append(r.Errors, validateCustomResource(obj, gvk, info, ver)...)
		return r
	}
	msg := fmt.Sprintf("no schema for %s: not a built-in kind served by Kubernetes 1.32 and no CRD for it in --crds", gvkString(apiVersion, kind))
	if versions := builtinServedVersions(gv.Group); len(versions) > 0 {
		msg += fmt.Sprintf(" (group %q serves versions: %s)", gv.Group, strings.Join(versions, ", "))
	}
	r.Errors = append(r.Errors, msg)
	return r
}
