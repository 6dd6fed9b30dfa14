package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	kjson "sigs.k8s.io/json"
)

// crdVersion is everything needed to validate custom resources of one
// served version of a CRD, built the way the apiextensions-apiserver builds
// it (customresource_handler.go getOrCreateServingInfoFor).
type crdVersion struct {
	structural      *structuralschema.Structural
	schemaValidator apiservervalidation.SchemaValidator
	celValidator    *cel.Validator // nil if the schema has no x-kubernetes-validations
	hasStatus       bool           // status subresource enabled: status is dropped on create
	deprecated      bool
	deprecationMsg  string
}

type crdInfo struct {
	name       string // metadata.name
	file       string // where it was loaded from
	namespaced bool
	versions   map[string]*crdVersion // served versions only
}

type crdRegistry struct {
	byGK map[schema.GroupKind]*crdInfo
}

func newCRDRegistry() *crdRegistry {
	return &crdRegistry{byGK: map[schema.GroupKind]*crdInfo{}}
}

// loadDir loads every *.yaml / *.yml file in dir (non-recursive). Documents
// that are not apiextensions.k8s.io/v1 CustomResourceDefinitions are ignored.
// Any CRD that does not decode, does not pass the API server's own CRD
// validation, or has a non-structural schema is an error: the API server would
// not have accepted it either.
func (r *crdRegistry) loadDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--crds %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("--crds %s: not a directory", dir)
	}
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		docs, err := splitYAML(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, d := range docs {
			jsonData, err := yamlToJSON(d.data)
			if err != nil {
				return fmt.Errorf("%s: document %d: %w", f, d.index, err)
			}
			if jsonData == nil {
				continue
			}
			var tm struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := kjson.UnmarshalCaseSensitivePreserveInts(jsonData, &tm); err != nil {
				return fmt.Errorf("%s: document %d: %w", f, d.index, err)
			}
			if tm.Kind != "CustomResourceDefinition" || !strings.HasPrefix(tm.APIVersion, "apiextensions.k8s.io/") {
				continue
			}
			if tm.APIVersion != "apiextensions.k8s.io/v1" {
				return fmt.Errorf("%s: document %d: only apiextensions.k8s.io/v1 CRDs are supported, got %s", f, d.index, tm.APIVersion)
			}
			crd := &apiextensionsv1.CustomResourceDefinition{}
			// Non-strict: a newer upstream CRD may carry fields this k8s.io
			// release does not know yet; those cannot affect validation here.
			if err := kjson.UnmarshalCaseSensitivePreserveInts(jsonData, crd); err != nil {
				return fmt.Errorf("%s: document %d: %w", f, d.index, err)
			}
			if err := r.add(crd, f); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
	}
	return nil
}

func toInternalCRD(crd *apiextensionsv1.CustomResourceDefinition) (*apiextensions.CustomResourceDefinition, error) {
	c := crd.DeepCopy()
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(c)
	out := &apiextensions.CustomResourceDefinition{}
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(c, out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// validateCRDObject runs the API server's CustomResourceDefinition
// validation (apiextensions validation.ValidateCustomResourceDefinition),
// which also checks structural schema rules and compiles/costs CEL rules.
func validateCRDObject(crd *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	internal, err := toInternalCRD(crd)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	return apiextensionsvalidation.ValidateCustomResourceDefinition(context.Background(), internal)
}

func (r *crdRegistry) add(crd *apiextensionsv1.CustomResourceDefinition, file string) error {
	if errs := validateCRDObject(crd); len(errs) > 0 {
		return fmt.Errorf("CRD %s is invalid: %v", crd.Name, errs.ToAggregate())
	}
	gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
	if prev, ok := r.byGK[gk]; ok {
		return fmt.Errorf("CRD %s: %s already defined by %s in %s", crd.Name, gk, prev.name, prev.file)
	}
	info := &crdInfo{
		name:       crd.Name,
		file:       file,
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		versions:   map[string]*crdVersion{},
	}
	for i := range crd.Spec.Versions {
		v := &crd.Spec.Versions[i]
		if !v.Served {
			continue
		}
		cv := &crdVersion{hasStatus: v.Subresources != nil && v.Subresources.Status != nil, deprecated: v.Deprecated}
		if v.DeprecationWarning != nil {
			cv.deprecationMsg = *v.DeprecationWarning
		}
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			return fmt.Errorf("CRD %s version %s has no schema", crd.Name, v.Name)
		}
		internal := &apiextensions.CustomResourceValidation{}
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, internal, nil); err != nil {
			return fmt.Errorf("CRD %s version %s: converting schema: %w", crd.Name, v.Name, err)
		}
		s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("CRD %s version %s: schema is not structural: %w", crd.Name, v.Name, err)
		}
		if errs := structuralschema.ValidateStructural(field.NewPath("openAPIV3Schema"), s); len(errs) > 0 {
			return fmt.Errorf("CRD %s version %s: schema is not structural: %v", crd.Name, v.Name, errs.ToAggregate())
		}
		s = s.DeepCopy()
		if err := structuraldefaulting.PruneDefaults(s); err != nil {
			return fmt.Errorf("CRD %s version %s: pruning defaults: %w", crd.Name, v.Name, err)
		}
		cv.structural = s
		validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("CRD %s version %s: building schema validator: %w", crd.Name, v.Name, err)
		}
		cv.schemaValidator = validator
		cv.celValidator = cel.NewValidator(s, true, celconfig.PerCallLimit)
		info.versions[v.Name] = cv
	}
	r.byGK[gk] = info
	return nil
}

func (r *crdRegistry) lookup(gvk schema.GroupVersionKind) (*crdInfo, *crdVersion, error) {
	info, ok := r.byGK[gvk.GroupKind()]
	if !ok {
		return nil, nil, nil
	}
	v, ok := info.versions[gvk.Version]
	if !ok {
		var served []string
		for name := range info.versions {
			served = append(served, gvk.GroupKind().WithVersion(name).GroupVersion().String())
		}
		sort.Strings(served)
		return info, nil, fmt.Errorf("no schema for %s: CRD %s does not serve version %q (served: %s)",
			gvkString(gvk.GroupVersion().String(), gvk.Kind), info.name, gvk.Version, strings.Join(served, ", "))
	}
	return info, v, nil
}

// validateCustomResource mirrors what the API server does on create with
// fieldValidation=Strict (kubectl's default):
//  1. decode; unknown fields (metadata included) are reported, as pruning
//     would silently drop them (kubectl gets "strict decoding error: unknown field");
//  2. prune, coerce embedded ObjectMeta, apply schema defaults;
//  3. drop .status when the status subresource is enabled (PrepareForCreate);
//  4. metadata validation, OpenAPI schema validation, embedded-resource and
//     list-type validation, then CEL x-kubernetes-validations (skipped, like
//     in the API server, if an earlier error would make them meaningless).
func validateCustomResource(obj map[string]interface{}, gvk schema.GroupVersionKind, info *crdInfo, v *crdVersion) []string {
	var errs []string
	u := runtime.DeepCopyJSON(obj)

	// 1+2: unknown fields, the unstructuredSchemaCoercer way.
	objectMeta, foundMeta, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return append(errs, fmt.Sprintf("metadata: %v", err))
	}
	var unknown []string
	unknown = append(unknown, metaUnknown...)
	unknown = append(unknown, structuralpruning.PruneWithOptions(u, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u, v.structural)
	ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, u, v.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		errs = append(errs, ferr.Error())
	}
	unknown = append(unknown, paths...)
	for _, p := range unknown {
		errs = append(errs, fmt.Sprintf("unknown field %q", p))
	}
	// restore apiVersion/kind/metadata exactly like the coercer does
	u["apiVersion"] = obj["apiVersion"]
	u["kind"] = obj["kind"]
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(u, objectMeta); err != nil {
			return append(errs, fmt.Sprintf("metadata: %v", err))
		}
	}
	structuraldefaulting.Default(u, v.structural)

	// 3
	if v.hasStatus {
		delete(u, "status")
	}

	// 4
	uo := &unstructured.Unstructured{Object: u}
	if uo.GetNamespace() != "" && !info.namespaced {
		uo.SetNamespace("") // the API server clears it for cluster-scoped resources
	}
	metaObj := uo
	if info.namespaced && uo.GetNamespace() == "" {
		// `kubectl apply` fills in the context namespace; validate as if it had.
		metaObj = uo.DeepCopy()
		metaObj.SetNamespace("default")
	}
	var ferrs field.ErrorList
	ferrs = append(ferrs, apimachineryvalidation.ValidateObjectMetaAccessor(metaObj, info.namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	ferrs = append(ferrs, apiservervalidation.ValidateCustomResource(nil, u, v.schemaValidator)...)
	ferrs = append(ferrs, schemaobjectmeta.Validate(nil, u, v.structural, false)...)
	ferrs = append(ferrs, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, u)...)
	if v.celValidator != nil {
		if blocking, ferr := hasBlockingErr(ferrs); blocking {
			ferrs = append(ferrs, ferr)
		} else {
			celErrs, _ := v.celValidator.Validate(context.Background(), nil, v.structural, u, nil, celconfig.RuntimeCELCostBudget)
			ferrs = append(ferrs, celErrs...)
		}
	}
	for _, e := range ferrs {
		errs = append(errs, e.Error())
	}
	return errs
}

// hasBlockingErr is copied from apiextensions-apiserver
// pkg/registry/customresource/strategy.go.
func hasBlockingErr(errs field.ErrorList) (bool, *field.Error) {
	for _, err := range errs {
		if err.Type == field.ErrorTypeNotSupported || err.Type == field.ErrorTypeRequired || err.Type == field.ErrorTypeTooLong || err.Type == field.ErrorTypeTooMany || err.Type == field.ErrorTypeTypeInvalid {
			return true, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return false, nil
}
