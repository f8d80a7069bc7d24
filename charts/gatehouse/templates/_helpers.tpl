{{/*
Names and labels. Templates print; the few decisions the chart makes live here, with a name that says what
they decide.
*/}}

{{/* Chart name, 63 characters at most. */}}
{{- define "gatehouse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, 63 characters at most (a DNS label). The release name alone when it already holds
the chart name.
*/}}
{{- define "gatehouse.fullname" -}}
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

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "gatehouse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "gatehouse.labels" -}}
helm.sh/chart: {{ include "gatehouse.chart" . }}
{{ include "gatehouse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select this release's objects; never change them after a release (selectors are immutable). */}}
{{- define "gatehouse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gatehouse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of the controller's objects. */}}
{{- define "gatehouse.controller.labels" -}}
{{ include "gatehouse.labels" . }}
app.kubernetes.io/component: controller
{{- end }}

{{/* Selector of the controller pods. */}}
{{- define "gatehouse.controller.selectorLabels" -}}
{{ include "gatehouse.selectorLabels" . }}
app.kubernetes.io/component: controller
{{- end }}

{{/* Labels of the admission webhook's objects. */}}
{{- define "gatehouse.webhook.labels" -}}
{{ include "gatehouse.labels" . }}
app.kubernetes.io/component: admission-webhook
{{- end }}

{{/* The ServiceAccount the controller runs as. */}}
{{- define "gatehouse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gatehouse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference: repository, then the digest when pinned, else the tag (default: appVersion). */}}
{{- define "gatehouse.image" -}}
{{- $image := .Values.controller.image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the leader-election Lease (`--election-id`). */}}
{{- define "gatehouse.electionId" -}}
{{- printf "%s-leader" (include "gatehouse.fullname" .) }}
{{- end }}

{{/* The webhook's serving certificate: the operator's Secret, or the one the chart generates. */}}
{{- define "gatehouse.webhook.secretName" -}}
{{- default (printf "%s-admission-tls" (include "gatehouse.fullname" .)) .Values.controller.admissionWebhook.certificateSecret }}
{{- end }}

{{/*
The generated webhook certificate, as a dict (ca, crt, key, all PEM): the one already in the cluster when it
is still valid for a while (so upgrades keep it and pods need no restart), else a new CA and serving
certificate. `helm template` sees no cluster and always generates. Made once per render (kept in the
values), so the Secret, the caBundle and the pod's checksum agree. See docs/adr/0009.
*/}}
{{- define "gatehouse.webhook.certificate" -}}
{{- $w := .Values.controller.admissionWebhook }}
{{- if not (hasKey $w "generated") }}
{{- $service := include "gatehouse.webhook.serviceName" . }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "gatehouse.webhook.secretName" .) }}
{{- $data := dig "data" (dict) $existing }}
{{- if and (hasKey $data "ca.crt") (hasKey $data "tls.crt") (hasKey $data "tls.key") }}
{{- $_ := set $w "generated" (dict "ca" (index $data "ca.crt" | b64dec) "crt" (index $data "tls.crt" | b64dec) "key" (index $data "tls.key" | b64dec)) }}
{{- else }}
{{- $days := int $w.certificateValidityDays }}
{{- $ca := genCA (printf "%s-admission-ca" (include "gatehouse.fullname" .)) $days }}
{{- $names := list $service (printf "%s.%s" $service .Release.Namespace) (printf "%s.%s.svc" $service .Release.Namespace) (printf "%s.%s.svc.cluster.local" $service .Release.Namespace) }}
{{- $cert := genSignedCert (printf "%s.%s.svc" $service .Release.Namespace) nil $names $days $ca }}
{{- $_ := set $w "generated" (dict "ca" $ca.Cert "crt" $cert.Cert "key" $cert.Key) }}
{{- end }}
{{- end }}
{{- $w.generated | toJson }}
{{- end }}

{{/* Name of the admission webhook's Service. */}}
{{- define "gatehouse.webhook.serviceName" -}}
{{- printf "%s-admission" (include "gatehouse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Whether the pod sets net.ipv4.ip_unprivileged_port_start. NGINX runs as uid 101 without privilege
escalation, so a NET_BIND_SERVICE capability in the container's bounding set never reaches its effective set;
the namespaced (and "safe") sysctl is what lets it bind ports below 1024. A pod on the host network cannot
set it.
*/}}
{{- define "gatehouse.needsUnprivilegedPortSysctl" -}}
{{- $p := .Values.controller.containerPort }}
{{- $low := or (lt (int $p.http) 1024) (lt (int $p.https) 1024) }}
{{- range $port, $_ := merge (dict) .Values.tcp .Values.udp }}{{ if lt (int $port) 1024 }}{{ $low = true }}{{ end }}{{ end }}
{{- if and (not .Values.controller.hostNetwork) $low }}true{{ end }}
{{- end }}

{{/*
RBAC, matched to the API calls the controller makes (src/sources/kube, src/status). The objects it watches in
the namespace(s) it serves: the inputs of translate, Ingress status and Events about Ingresses. A ClusterRole
holds them when the controller watches every namespace, a Role in controller.scope.namespace otherwise.
Status is written with a patch; update is granted too (it writes no more than a patch can) so a client that
replaces the status subresource keeps working. Secrets are listed with a field selector leaving out
service-account tokens, Helm releases and registry credentials, which RBAC cannot express, hence list on all Secrets. Events are read by name (one per Ingress and
reason, the same name on every replica) before one is created or its count raised.
*/}}
{{- define "gatehouse.rbac.watchedRules" -}}
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses/status"]
  verbs: ["update", "patch"]
- apiGroups: [""]
  resources: ["services", "secrets"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["get", "create", "patch"]
{{- end }}

{{/* Cluster-scoped objects, needed whatever the scope: IngressClasses, and Nodes for status addresses. */}}
{{- define "gatehouse.rbac.clusterScopedRules" -}}
- apiGroups: ["networking.k8s.io"]
  resources: ["ingressclasses"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["get"]
{{- end }}
