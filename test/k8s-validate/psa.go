package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// psaChecker evaluates pod specs with the Pod Security Admission library at
// one level, version "latest" (what a namespace labelled
// pod-security.kubernetes.io/enforce=<level> gets).
type psaChecker struct {
	lv        psaapi.LevelVersion
	evaluator policy.Evaluator
}

func newPSAChecker(level string) (*psaChecker, error) {
	l, err := psaapi.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	ev, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		return nil, err
	}
	return &psaChecker{lv: psaapi.LevelVersion{Level: l, Version: psaapi.LatestVersion()}, evaluator: ev}, nil
}

// podTemplate extracts the pod metadata/spec the way the PSA admission
// plugin's DefaultPodSpecExtractor does.
func podTemplate(obj runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec, bool) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.ObjectMeta, &o.Spec, true
	case *corev1.PodTemplate:
		return &o.Template.ObjectMeta, &o.Template.Spec, true
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return nil, nil, false
		}
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	case *appsv1.ReplicaSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	case *appsv1.Deployment:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	case *appsv1.StatefulSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	case *appsv1.DaemonSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	case *batchv1.Job:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template.ObjectMeta, &o.Spec.JobTemplate.Spec.Template.Spec, true
	}
	return nil, nil, false
}

// check returns one error per forbidden PSA check, formatted like the
// admission plugin's message: PodSecurity "restricted:latest": <reason> (<detail>).
func (c *psaChecker) check(obj runtime.Object) []string {
	md, spec, ok := podTemplate(obj)
	if !ok {
		return nil
	}
	agg := policy.AggregateCheckResults(c.evaluator.EvaluatePod(c.lv, md, spec))
	if agg.Allowed {
		return nil
	}
	var out []string
	for i, reason := range agg.ForbiddenReasons {
		msg := fmt.Sprintf("PodSecurity %q: %s", c.lv.String(), reason)
		if d := agg.ForbiddenDetails[i]; d != "" {
			msg += " (" + d + ")"
		}
		out = append(out, msg)
	}
	return out
}
