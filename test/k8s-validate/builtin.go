package main

import (
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// builtinScheme knows the built-in API group/versions that a default
// Kubernetes 1.32 API server serves: the GA versions only. Beta/alpha
// versions that are off by default (resource.k8s.io/v1beta1, ...) and
// versions that were removed (extensions/v1beta1, policy/v1beta1,
// autoscaling/v2beta2, flowcontrol/v1beta3, ...) are deliberately NOT
// registered, so manifests using them fail with "no schema for ...".
var builtinScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		admissionregistrationv1.AddToScheme,
		appsv1.AddToScheme,
		authenticationv1.AddToScheme,
		authorizationv1.AddToScheme,
		autoscalingv1.AddToScheme,
		autoscalingv2.AddToScheme,
		batchv1.AddToScheme,
		certificatesv1.AddToScheme,
		coordinationv1.AddToScheme,
		discoveryv1.AddToScheme,
		eventsv1.AddToScheme,
		flowcontrolv1.AddToScheme,
		networkingv1.AddToScheme,
		nodev1.AddToScheme,
		policyv1.AddToScheme,
		rbacv1.AddToScheme,
		schedulingv1.AddToScheme,
		storagev1.AddToScheme,
		apiextensionsv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// newBuiltin returns an empty typed object for gvk if gvk is a built-in,
// persistable kind (has ObjectMeta and is not a list or an options type).
func newBuiltin(gvk schema.GroupVersionKind) (runtime.Object, bool) {
	if !builtinScheme.Recognizes(gvk) {
		return nil, false
	}
	obj, err := builtinScheme.New(gvk)
	if err != nil {
		return nil, false
	}
	if meta.IsListType(obj) {
		return nil, false
	}
	if _, ok := obj.(metav1.Object); !ok {
		return nil, false
	}
	return obj, true
}

// builtinServedVersions lists the versions registered for a group (for error messages).
func builtinServedVersions(group string) []string {
	var out []string
	for _, gv := range builtinScheme.PrioritizedVersionsForGroup(group) {
		out = append(out, gv.Version)
	}
	if len(out) == 0 {
		seen := map[string]bool{}
		for gvk := range builtinScheme.AllKnownTypes() {
			if gvk.Group == group && !seen[gvk.Version] {
				seen[gvk.Version] = true
				out = append(out, gvk.Version)
			}
		}
	}
	return out
}

// clusterScoped lists the built-in kinds that are not namespaced.
var clusterScoped = map[schema.GroupKind]bool{
	{Group: "", Kind: "Namespace"}:                                                    true,
	{Group: "", Kind: "Node"}:                                                         true,
	{Group: "", Kind: "PersistentVolume"}:                                             true,
	{Group: "", Kind: "ComponentStatus"}:                                              true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
	{Group: "authentication.k8s.io", Kind: "TokenReview"}:                             true,
	{Group: "authentication.k8s.io", Kind: "SelfSubjectReview"}:                       true,
	{Group: "authorization.k8s.io", Kind: "SubjectAccessReview"}:                      true,
	{Group: "authorization.k8s.io", Kind: "SelfSubjectAccessReview"}:                  true,
	{Group: "authorization.k8s.io", Kind: "SelfSubjectRulesReview"}:                   true,
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}:                       true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"}:       true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
	{Group: "networking.k8s.io", Kind: "IPAddress"}:                                   true,
	{Group: "networking.k8s.io", Kind: "ServiceCIDR"}:                                 true,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
	{Group: "storage.k8s.io", Kind: "CSINode"}:                                        true,
	{Group: "storage.k8s.io", Kind: "VolumeAttachment"}:                               true,
}

// nameValidator returns the metadata.name rule the API server applies to a
// built-in kind (DNS-1123 subdomain unless listed otherwise).
func nameValidator(gk schema.GroupKind) apimachineryvalidation.ValidateNameFunc {
	switch gk {
	case schema.GroupKind{Kind: "Namespace"}:
		return apimachineryvalidation.ValidateNamespaceName
	case schema.GroupKind{Kind: "Service"}:
		// core validation: ValidateServiceName = NameIsDNS1035Label
		return apimachineryvalidation.NameIsDNS1035Label
	}
	if gk.Group == "rbac.authorization.k8s.io" {
		// rbac validation: ValidateRBACName = path.IsValidPathSegmentName
		return func(name string, prefix bool) []string {
			if prefix {
				return path.IsValidPathSegmentPrefix(name)
			}
			return path.IsValidPathSegmentName(name)
		}
	}
	return apimachineryvalidation.NameIsDNSSubdomain
}

func gvkString(apiVersion, kind string) string {
	return fmt.Sprintf("%s, Kind=%s", apiVersion, kind)
}

// validateBuiltin strictly decodes a built-in object into its k8s.io/api
// type and runs metadata validation, the semantic subset in semantic.go and
// Pod Security Admission.
func (v *Validator) validateBuiltin(typed runtime.Object, gvk schema.GroupVersionKind, j []byte) []string {
	var errs []string
	// sigs.k8s.io/json UnmarshalStrict is what the API server's strict
	// decoder (serializer/json with Strict: true) uses: case-sensitive field
	// matching, unknown fields at every nesting level and duplicate fields
	// are reported with their full path.
	strictErrs, err := kjson.UnmarshalStrict(j, typed)
	if err != nil {
		// type mismatch (e.g. a string where an int32 is expected); the
		// object is only partially decoded, so stop here.
		return append(errs, err.Error())
	}
	for _, e := range strictErrs {
		errs = append(errs, e.Error())
	}
	accessor, err := meta.Accessor(typed)
	if err != nil {
		return append(errs, err.Error())
	}
	gk := gvk.GroupKind()
	namespaced := !clusterScoped[gk]
	if !namespaced {
		accessor.SetNamespace("") // the API server clears it for cluster-scoped kinds
	}
	var ferrs field.ErrorList
	metaObj := accessor
	if namespaced && accessor.GetNamespace() == "" {
		// `kubectl apply` fills in the context namespace; validate as if it had.
		c := typed.DeepCopyObject()
		metaObj, _ = meta.Accessor(c)
		metaObj.SetNamespace("default")
	}
	ferrs = append(ferrs, apimachineryvalidation.ValidateObjectMetaAccessor(metaObj, namespaced, nameValidator(gk), field.NewPath("metadata"))...)
	ferrs = append(ferrs, validateBuiltinSemantics(typed)...)
	for _, e := range ferrs {
		errs = append(errs, e.Error())
	}
	if v.psa != nil {
		errs = append(errs, v.psa.check(typed)...)
	}
	return errs
}
