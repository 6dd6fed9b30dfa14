package main

// A deliberately small re-implementation of the most commonly hit rules of
// the API server's built-in validation (k8s.io/kubernetes/pkg/apis/*/validation),
// which cannot be imported without depending on k8s.io/kubernetes. Each rule
// here mirrors an upstream rule and uses upstream's field paths and messages
// where practical; rules that depend on API defaulting are only applied to
// fields that defaulting does not fill in. Everything NOT listed here is not
// checked for built-in kinds beyond strict decoding.

import (
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var selectorOpts = metav1validation.LabelSelectorValidationOptions{}

func validateBuiltinSemantics(obj runtime.Object) field.ErrorList {
	spec := field.NewPath("spec")
	switch o := obj.(type) {
	case *corev1.Pod:
		return validatePodSpec(&o.Spec, spec)
	case *corev1.PodTemplate:
		return validatePodTemplate(&o.Template, field.NewPath("template"))
	case *corev1.ReplicationController:
		var errs field.ErrorList
		if len(o.Spec.Selector) == 0 && (o.Spec.Template == nil || len(o.Spec.Template.Labels) == 0) {
			errs = append(errs, field.Required(spec.Child("selector"), ""))
		}
		if o.Spec.Template == nil {
			return append(errs, field.Required(spec.Child("template"), ""))
		}
		return append(errs, validatePodTemplate(o.Spec.Template, spec.Child("template"))...)
	case *appsv1.Deployment:
		errs := validateReplicas(o.Spec.Replicas, spec)
		errs = append(errs, validateWorkload(o.Spec.Selector, &o.Spec.Template, spec)...)
		switch o.Spec.Strategy.Type {
		case "", appsv1.RollingUpdateDeploymentStrategyType:
		case appsv1.RecreateDeploymentStrategyType:
			if o.Spec.Strategy.RollingUpdate != nil {
				errs = append(errs, field.Forbidden(spec.Child("strategy", "rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
			}
		default:
			errs = append(errs, field.NotSupported(spec.Child("strategy", "type"), o.Spec.Strategy.Type, []string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)}))
		}
		return append(errs, validateRestartPolicy(o.Spec.Template.Spec.RestartPolicy, spec, corev1.RestartPolicyAlways)...)
	case *appsv1.ReplicaSet:
		errs := validateReplicas(o.Spec.Replicas, spec)
		errs = append(errs, validateWorkload(o.Spec.Selector, &o.Spec.Template, spec)...)
		return append(errs, validateRestartPolicy(o.Spec.Template.Spec.RestartPolicy, spec, corev1.RestartPolicyAlways)...)
	case *appsv1.StatefulSet:
		errs := validateReplicas(o.Spec.Replicas, spec)
		errs = append(errs, validateWorkload(o.Spec.Selector, &o.Spec.Template, spec)...)
		switch o.Spec.PodManagementPolicy {
		case "", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
		default:
			errs = append(errs, field.NotSupported(spec.Child("podManagementPolicy"), o.Spec.PodManagementPolicy, []string{string(appsv1.OrderedReadyPodManagement), string(appsv1.ParallelPodManagement)}))
		}
		return append(errs, validateRestartPolicy(o.Spec.Template.Spec.RestartPolicy, spec, corev1.RestartPolicyAlways)...)
	case *appsv1.DaemonSet:
		errs := validateWorkload(o.Spec.Selector, &o.Spec.Template, spec)
		return append(errs, validateRestartPolicy(o.Spec.Template.Spec.RestartPolicy, spec, corev1.RestartPolicyAlways)...)
	case *batchv1.Job:
		return validateJobSpec(&o.Spec, spec)
	case *batchv1.CronJob:
		var errs field.ErrorList
		if o.Spec.Schedule == "" {
			errs = append(errs, field.Required(spec.Child("schedule"), ""))
		}
		if len(o.Name) > 52 {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), o.Name, "must be no more than 52 characters"))
		}
		return append(errs, validateJobSpec(&o.Spec.JobTemplate.Spec, spec.Child("jobTemplate", "spec"))...)
	case *corev1.Service:
		return validateService(o)
	case *corev1.ConfigMap:
		return validateConfigMapKeys(o.Data, o.BinaryData)
	case *corev1.Secret:
		var errs field.ErrorList
		for k := range o.Data {
			for _, msg := range validation.IsConfigMapKey(k) {
				errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, msg))
			}
		}
		for k := range o.StringData {
			for _, msg := range validation.IsConfigMapKey(k) {
				errs = append(errs, field.Invalid(field.NewPath("stringData").Key(k), k, msg))
			}
		}
		return errs
	case *policyv1.PodDisruptionBudget:
		var errs field.ErrorList
		if o.Spec.MinAvailable != nil && o.Spec.MaxUnavailable != nil {
			errs = append(errs, field.Invalid(spec, o.Spec, "minAvailable and maxUnavailable cannot be both set"))
		}
		errs = append(errs, validateIntOrPercent(o.Spec.MinAvailable, spec.Child("minAvailable"))...)
		errs = append(errs, validateIntOrPercent(o.Spec.MaxUnavailable, spec.Child("maxUnavailable"))...)
		if o.Spec.Selector != nil {
			errs = append(errs, metav1validation.ValidateLabelSelector(o.Spec.Selector, selectorOpts, spec.Child("selector"))...)
		}
		return errs
	case *networkingv1.NetworkPolicy:
		return validateNetworkPolicy(o)
	case *rbacv1.Role:
		return validatePolicyRules(o.Rules, true)
	case *rbacv1.ClusterRole:
		return validatePolicyRules(o.Rules, false)
	case *rbacv1.RoleBinding:
		return validateBinding(o.RoleRef, o.Subjects, true)
	case *rbacv1.ClusterRoleBinding:
		return validateBinding(o.RoleRef, o.Subjects, false)
	case *apiextensionsv1.CustomResourceDefinition:
		// The real thing: apiextensions-apiserver's own CRD validation.
		return validateCRDObject(o)
	}
	return nil
}

func validateReplicas(r *int32, spec *field.Path) field.ErrorList {
	if r != nil {
		return apimachineryvalidation.ValidateNonnegativeField(int64(*r), spec.Child("replicas"))
	}
	return nil
}

// validateWorkload: apps/v1 selector rules (required, non-empty, valid,
// must match the template labels) plus the pod template.
func validateWorkload(sel *metav1.LabelSelector, tpl *corev1.PodTemplateSpec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	if sel == nil {
		errs = append(errs, field.Required(spec.Child("selector"), ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabelSelector(sel, selectorOpts, spec.Child("selector"))...)
		if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(spec.Child("selector"), sel, "empty selector is invalid"))
		}
		if s, err := metav1.LabelSelectorAsSelector(sel); err == nil && !s.Empty() && !s.Matches(labels.Set(tpl.Labels)) {
			errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), tpl.Labels, "`selector` does not match template `labels`"))
		}
	}
	return append(errs, validatePodTemplate(tpl, spec.Child("template"))...)
}

func validateRestartPolicy(p corev1.RestartPolicy, spec *field.Path, allowed ...corev1.RestartPolicy) field.ErrorList {
	if p == "" {
		p = corev1.RestartPolicyAlways // pod template default
	}
	for _, a := range allowed {
		if p == a {
			return nil
		}
	}
	var names []string
	for _, a := range allowed {
		names = append(names, string(a))
	}
	return field.ErrorList{field.NotSupported(spec.Child("template", "spec", "restartPolicy"), p, names)}
}

func validateJobSpec(js *batchv1.JobSpec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	for name, v := range map[string]*int32{"parallelism": js.Parallelism, "completions": js.Completions, "backoffLimit": js.BackoffLimit} {
		if v != nil {
			errs = append(errs, apimachineryvalidation.ValidateNonnegativeField(int64(*v), spec.Child(name))...)
		}
	}
	if js.Selector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(js.Selector, selectorOpts, spec.Child("selector"))...)
	}
	errs = append(errs, validatePodTemplate(&js.Template, spec.Child("template"))...)
	return append(errs, validateRestartPolicy(js.Template.Spec.RestartPolicy, spec, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)...)
}

func validatePodTemplate(tpl *corev1.PodTemplateSpec, p *field.Path) field.ErrorList {
	md := p.Child("metadata")
	errs := metav1validation.ValidateLabels(tpl.Labels, md.Child("labels"))
	errs = append(errs, apimachineryvalidation.ValidateAnnotations(tpl.Annotations, md.Child("annotations"))...)
	return append(errs, validatePodSpec(&tpl.Spec, p.Child("spec"))...)
}

var (
	pullPolicies    = sets.New(string(corev1.PullAlways), string(corev1.PullIfNotPresent), string(corev1.PullNever))
	portProtocols   = sets.New(string(corev1.ProtocolTCP), string(corev1.ProtocolUDP), string(corev1.ProtocolSCTP))
	restartPolicies = sets.New(string(corev1.RestartPolicyAlways), string(corev1.RestartPolicyOnFailure), string(corev1.RestartPolicyNever))
	dnsPolicies     = sets.New(string(corev1.DNSClusterFirstWithHostNet), string(corev1.DNSClusterFirst), string(corev1.DNSDefault), string(corev1.DNSNone))
	serviceTypes    = sets.New(string(corev1.ServiceTypeClusterIP), string(corev1.ServiceTypeNodePort), string(corev1.ServiceTypeLoadBalancer), string(corev1.ServiceTypeExternalName))
	policyTypes     = sets.New(string(networkingv1.PolicyTypeIngress), string(networkingv1.PolicyTypeEgress))
)

func validatePodSpec(ps *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	// volumes: names are DNS labels, unique; at most one source each
	vols := sets.New[string]()
	for i, v := range ps.Volumes {
		vp := p.Child("volumes").Index(i)
		if v.Name == "" {
			errs = append(errs, field.Required(vp.Child("name"), ""))
		} else {
			for _, msg := range validation.IsDNS1123Label(v.Name) {
				errs = append(errs, field.Invalid(vp.Child("name"), v.Name, msg))
			}
			if vols.Has(v.Name) {
				errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
			}
			vols.Insert(v.Name)
		}
		if n := countSet(reflect.ValueOf(v.VolumeSource)); n > 1 {
			errs = append(errs, field.Forbidden(vp, "may not specify more than 1 volume type"))
		}
	}
	if len(ps.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	names := sets.New[string]()
	checkContainers := func(cs []corev1.Container, cp *field.Path, regular bool) {
		for i := range cs {
			errs = append(errs, validateContainer(&cs[i], cp.Index(i), vols, names, regular)...)
		}
	}
	checkContainers(ps.InitContainers, p.Child("initContainers"), false)
	checkContainers(ps.Containers, p.Child("containers"), true)
	if ps.RestartPolicy != "" && !restartPolicies.Has(string(ps.RestartPolicy)) {
		errs = append(errs, field.NotSupported(p.Child("restartPolicy"), ps.RestartPolicy, sets.List(restartPolicies)))
	}
	if ps.DNSPolicy != "" && !dnsPolicies.Has(string(ps.DNSPolicy)) {
		errs = append(errs, field.NotSupported(p.Child("dnsPolicy"), ps.DNSPolicy, sets.List(dnsPolicies)))
	}
	if ps.ServiceAccountName != "" {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(ps.ServiceAccountName, false) {
			errs = append(errs, field.Invalid(p.Child("serviceAccountName"), ps.ServiceAccountName, msg))
		}
	}
	errs = append(errs, metav1validation.ValidateLabels(ps.NodeSelector, p.Child("nodeSelector"))...)
	if ps.TerminationGracePeriodSeconds != nil {
		errs = append(errs, apimachineryvalidation.ValidateNonnegativeField(*ps.TerminationGracePeriodSeconds, p.Child("terminationGracePeriodSeconds"))...)
	}
	return errs
}

func validateContainer(c *corev1.Container, p *field.Path, vols, names sets.Set[string], regular bool) field.ErrorList {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), c.Name, msg))
		}
		if names.Has(c.Name) {
			errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
		}
		names.Insert(c.Name)
	}
	if c.Image == "" {
		errs = append(errs, field.Required(p.Child("image"), ""))
	}
	if c.ImagePullPolicy != "" && !pullPolicies.Has(string(c.ImagePullPolicy)) {
		errs = append(errs, field.NotSupported(p.Child("imagePullPolicy"), c.ImagePullPolicy, sets.List(pullPolicies)))
	}
	portNames := sets.New[string]()
	for i, port := range c.Ports {
		pp := p.Child("ports").Index(i)
		if port.Name != "" {
			for _, msg := range validation.IsValidPortName(port.Name) {
				errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
			}
			if portNames.Has(port.Name) {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			portNames.Insert(port.Name)
		}
		for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
			errs = append(errs, field.Invalid(pp.Child("containerPort"), port.ContainerPort, msg))
		}
		if port.HostPort != 0 {
			for _, msg := range validation.IsValidPortNum(int(port.HostPort)) {
				errs = append(errs, field.Invalid(pp.Child("hostPort"), port.HostPort, msg))
			}
		}
		if port.Protocol != "" && !portProtocols.Has(string(port.Protocol)) {
			errs = append(errs, field.NotSupported(pp.Child("protocol"), port.Protocol, sets.List(portProtocols)))
		}
	}
	for i, ev := range c.Env {
		ep := p.Child("env").Index(i)
		if ev.Name == "" {
			errs = append(errs, field.Required(ep.Child("name"), ""))
		} else {
			// RelaxedEnvironmentVariableValidation is beta and on by default in 1.32.
			for _, msg := range validation.IsRelaxedEnvVarName(ev.Name) {
				errs = append(errs, field.Invalid(ep.Child("name"), ev.Name, msg))
			}
		}
		if ev.ValueFrom != nil {
			if ev.Value != "" {
				errs = append(errs, field.Invalid(ep.Child("valueFrom"), "", "may not be specified when `value` is not empty"))
			}
			if n := countSet(reflect.ValueOf(*ev.ValueFrom)); n != 1 {
				errs = append(errs, field.Invalid(ep.Child("valueFrom"), "", "must specify exactly one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
			}
		}
	}
	for i, vm := range c.VolumeMounts {
		vp := p.Child("volumeMounts").Index(i)
		if vm.Name == "" {
			errs = append(errs, field.Required(vp.Child("name"), ""))
		} else if !vols.Has(vm.Name) {
			errs = append(errs, field.NotFound(vp.Child("name"), vm.Name))
		}
		if vm.MountPath == "" {
			errs = append(errs, field.Required(vp.Child("mountPath"), ""))
		}
	}
	for name, req := range c.Resources.Requests {
		if lim, ok := c.Resources.Limits[name]; ok && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(p.Child("resources", "requests").Key(string(name)), req.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, lim.String())))
		}
	}
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
		if pr.probe == nil {
			continue
		}
		pp := p.Child(pr.name)
		if !regular && c.RestartPolicy == nil {
			errs = append(errs, field.Forbidden(pp, "may not be set for init containers without restartPolicy=Always"))
			continue
		}
		switch n := countSet(reflect.ValueOf(pr.probe.ProbeHandler)); {
		case n == 0:
			errs = append(errs, field.Required(pp, "must specify a handler type"))
		case n > 1:
			errs = append(errs, field.Forbidden(pp, "may not specify more than 1 handler type"))
		}
		if h := pr.probe.HTTPGet; h != nil {
			errs = append(errs, validatePortNumOrName(h.Port, pp.Child("httpGet", "port"))...)
		}
		if t := pr.probe.TCPSocket; t != nil {
			errs = append(errs, validatePortNumOrName(t.Port, pp.Child("tcpSocket", "port"))...)
		}
		if (pr.name == "livenessProbe" || pr.name == "startupProbe") && pr.probe.SuccessThreshold > 1 {
			errs = append(errs, field.Invalid(pp.Child("successThreshold"), pr.probe.SuccessThreshold, "must be 1"))
		}
	}
	return errs
}

func validatePortNumOrName(port intstr.IntOrString, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if port.Type == intstr.Int {
		for _, msg := range validation.IsValidPortNum(port.IntValue()) {
			errs = append(errs, field.Invalid(p, port.IntValue(), msg))
		}
	} else {
		for _, msg := range validation.IsValidPortName(port.StrVal) {
			errs = append(errs, field.Invalid(p, port.StrVal, msg))
		}
	}
	return errs
}

func validateIntOrPercent(v *intstr.IntOrString, p *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	if v.Type == intstr.Int {
		return apimachineryvalidation.ValidateNonnegativeField(int64(v.IntValue()), p)
	}
	if msgs := validation.IsValidPercent(v.StrVal); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, v.StrVal, "must be an integer or percentage (e.g '5%')")}
	}
	return nil
}

func validateService(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	typ := s.Spec.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	if !serviceTypes.Has(string(typ)) {
		errs = append(errs, field.NotSupported(spec.Child("type"), typ, sets.List(serviceTypes)))
	}
	if typ == corev1.ServiceTypeExternalName {
		if s.Spec.ExternalName == "" {
			errs = append(errs, field.Required(spec.Child("externalName"), ""))
		}
	} else if len(s.Spec.Ports) == 0 && s.Spec.ClusterIP != corev1.ClusterIPNone {
		errs = append(errs, field.Required(spec.Child("ports"), ""))
	}
	names := sets.New[string]()
	for i, port := range s.Spec.Ports {
		pp := spec.Child("ports").Index(i)
		if len(s.Spec.Ports) > 1 && port.Name == "" {
			errs = append(errs, field.Required(pp.Child("name"), ""))
		}
		if port.Name != "" {
			for _, msg := range validation.IsDNS1123Label(port.Name) {
				errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
			}
			if names.Has(port.Name) {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			names.Insert(port.Name)
		}
		for _, msg := range validation.IsValidPortNum(int(port.Port)) {
			errs = append(errs, field.Invalid(pp.Child("port"), port.Port, msg))
		}
		if port.Protocol != "" && !portProtocols.Has(string(port.Protocol)) {
			errs = append(errs, field.NotSupported(pp.Child("protocol"), port.Protocol, sets.List(portProtocols)))
		}
		if port.TargetPort.Type == intstr.String || port.TargetPort.IntVal != 0 {
			errs = append(errs, validatePortNumOrName(port.TargetPort, pp.Child("targetPort"))...)
		}
		if port.NodePort != 0 {
			if typ != corev1.ServiceTypeNodePort && typ != corev1.ServiceTypeLoadBalancer {
				errs = append(errs, field.Forbidden(pp.Child("nodePort"), "may not be used when `type` is '"+string(typ)+"'"))
			}
			for _, msg := range validation.IsValidPortNum(int(port.NodePort)) {
				errs = append(errs, field.Invalid(pp.Child("nodePort"), port.NodePort, msg))
			}
		}
	}
	return append(errs, metav1validation.ValidateLabels(s.Spec.Selector, spec.Child("selector"))...)
}

func validateConfigMapKeys(data map[string]string, binary map[string][]byte) field.ErrorList {
	var errs field.ErrorList
	total := 0
	for k, v := range data {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, msg))
		}
		if _, dup := binary[k]; dup {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, "duplicate of key present in binaryData"))
		}
		total += len(v)
	}
	for k, v := range binary {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(field.NewPath("binaryData").Key(k), k, msg))
		}
		total += len(v)
	}
	if total > corev1.MaxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath(""), "", corev1.MaxSecretSize))
	}
	return errs
}

func validateNetworkPolicy(np *networkingv1.NetworkPolicy) field.ErrorList {
	spec := field.NewPath("spec")
	errs := metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, selectorOpts, spec.Child("podSelector"))
	checkPorts := func(ports []networkingv1.NetworkPolicyPort, p *field.Path) {
		for i, port := range ports {
			pp := p.Index(i)
			if port.Protocol != nil && !portProtocols.Has(string(*port.Protocol)) {
				errs = append(errs, field.NotSupported(pp.Child("protocol"), *port.Protocol, sets.List(portProtocols)))
			}
			if port.Port != nil {
				errs = append(errs, validatePortNumOrName(*port.Port, pp.Child("port"))...)
				if port.EndPort != nil {
					if port.Port.Type == intstr.String {
						errs = append(errs, field.Forbidden(pp.Child("endPort"), "may not be specified when `port` is non-numeric"))
					} else if *port.EndPort < port.Port.IntVal {
						errs = append(errs, field.Invalid(pp.Child("endPort"), *port.EndPort, "must be greater than or equal to `port`"))
					}
				}
			} else if port.EndPort != nil {
				errs = append(errs, field.Required(pp.Child("port"), "must be specified when endPort is specified"))
			}
		}
	}
	checkPeers := func(peers []networkingv1.NetworkPolicyPeer, p *field.Path) {
		for i, peer := range peers {
			pp := p.Index(i)
			n := 0
			if peer.PodSelector != nil {
				n++
				errs = append(errs, metav1validation.ValidateLabelSelector(peer.PodSelector, selectorOpts, pp.Child("podSelector"))...)
			}
			if peer.NamespaceSelector != nil {
				n++
				errs = append(errs, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, selectorOpts, pp.Child("namespaceSelector"))...)
			}
			if peer.IPBlock != nil {
				if n > 0 {
					errs = append(errs, field.Forbidden(pp, "may not specify more than 1 peer type"))
				}
				errs = append(errs, validation.IsValidCIDR(pp.Child("ipBlock", "cidr"), peer.IPBlock.CIDR)...)
				n++
			}
			if n == 0 {
				errs = append(errs, field.Required(pp, "must specify a peer"))
			}
		}
	}
	for i, r := range np.Spec.Ingress {
		checkPorts(r.Ports, spec.Child("ingress").Index(i).Child("ports"))
		checkPeers(r.From, spec.Child("ingress").Index(i).Child("from"))
	}
	for i, r := range np.Spec.Egress {
		checkPorts(r.Ports, spec.Child("egress").Index(i).Child("ports"))
		checkPeers(r.To, spec.Child("egress").Index(i).Child("to"))
	}
	for i, t := range np.Spec.PolicyTypes {
		if !policyTypes.Has(string(t)) {
			errs = append(errs, field.NotSupported(spec.Child("policyTypes").Index(i), t, sets.List(policyTypes)))
		}
	}
	return errs
}

func validatePolicyRules(rules []rbacv1.PolicyRule, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rules {
		p := field.NewPath("rules").Index(i)
		if len(r.Verbs) == 0 {
			errs = append(errs, field.Required(p.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			errs = append(errs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
		}
		if len(r.Resources) == 0 {
			errs = append(errs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
		}
	}
	return errs
}

func validateBinding(ref rbacv1.RoleRef, subjects []rbacv1.Subject, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	rp := field.NewPath("roleRef")
	if ref.APIGroup != "" && ref.APIGroup != rbacv1.GroupName { // "" is defaulted
		errs = append(errs, field.NotSupported(rp.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	allowedKinds := []string{"ClusterRole"}
	if namespaced {
		allowedKinds = []string{"Role", "ClusterRole"}
	}
	if !sets.New(allowedKinds...).Has(ref.Kind) {
		errs = append(errs, field.NotSupported(rp.Child("kind"), ref.Kind, allowedKinds))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(rp.Child("name"), ""))
	}
	for i, s := range subjects {
		sp := field.NewPath("subjects").Index(i)
		if s.Name == "" {
			errs = append(errs, field.Required(sp.Child("name"), ""))
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.APIGroup != "" {
				errs = append(errs, field.NotSupported(sp.Child("apiGroup"), s.APIGroup, []string{""}))
			}
			if !namespaced && s.Namespace == "" {
				errs = append(errs, field.Required(sp.Child("namespace"), ""))
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != "" && s.APIGroup != rbacv1.GroupName { // "" is defaulted
				errs = append(errs, field.NotSupported(sp.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
			}
		default:
			errs = append(errs, field.NotSupported(sp.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
		}
	}
	return errs
}

// countSet counts the non-nil pointer fields of a "one-of" struct
// (VolumeSource, ProbeHandler, EnvVarSource).
func countSet(v reflect.Value) int {
	n := 0
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() == reflect.Ptr && !f.IsNil() {
			n++
		}
	}
	return n
}
