{{/*
The controller pod, shared by controller-deployment.yaml and controller-daemonset.yaml. The security context
is fixed on purpose: no value loosens it.
*/}}
{{- define "gatehouse.controller.podTemplate" -}}
{{- $c := .Values.controller -}}
{{- $fullname := include "gatehouse.fullname" . -}}
{{- $sidecar := eq $c.mode "sidecar" -}}
{{- $chartFlags := list "--http-port" "--https-port" "--healthz-port" "--healthz-host" "--conf-dir" "--ingress-class" "--controller-class" "--configmap" "--election-id" "--election-ttl" "--shutdown-grace-period" "--publish-service" "--watch-namespace" "--watch-ingress-without-class" "--default-backend-service" "--default-ssl-certificate" "--update-status" "--publish-status-address" "--report-node-internal-ip-address" "--validating-webhook" "--validating-webhook-certificate" "--validating-webhook-key" "--log-level" "--log-format" "--manifests" "--kubeconfig" "--nginx-mode" "--nginx-healthz-port" "--metrics-log-port" "--tcp-services-configmap" "--udp-services-configmap" -}}
{{- $ports := list (int $c.containerPort.http) (int $c.containerPort.https) (int $c.containerPort.healthz) -}}
{{- if $sidecar }}{{ $ports = append $ports (int $c.nginx.healthzPort) }}{{ end -}}
{{- if $c.admissionWebhook.enabled }}{{ $ports = append $ports (int $c.admissionWebhook.port) }}{{ end -}}
{{- range $port, $_ := $.Values.tcp }}{{ $ports = append $ports (int $port) }}{{ end -}}
{{- if and $c.scope.namespace $c.defaultBackendService (ne (first (splitList "/" $c.defaultBackendService)) $c.scope.namespace) }}
{{- fail (printf "controller.defaultBackendService (%s) must be in controller.scope.namespace (%s): the controller sees no other namespace" $c.defaultBackendService $c.scope.namespace) }}
{{- end -}}
{{- $drain := add $c.shutdown.delaySeconds $c.shutdown.workerTimeoutSeconds 10 -}}
{{- if lt (int $c.terminationGracePeriodSeconds) (int $drain) }}
{{- fail (printf "controller.terminationGracePeriodSeconds (%d) must be at least controller.shutdown.delaySeconds + controller.shutdown.workerTimeoutSeconds + 10 (%d), or Kubernetes kills NGINX while it drains" (int $c.terminationGracePeriodSeconds) (int $drain)) }}
{{- end -}}
{{- if ne (len $ports) (len (uniq $ports)) }}
{{- fail (printf "controller.containerPort.http/https/healthz, controller.nginx.healthzPort and controller.admissionWebhook.port must differ (and from the tcp ports), got %v" $ports) }}
{{- end -}}
metadata:
  labels:
    {{- include "gatehouse.controller.selectorLabels" . | nindent 4 }}
    {{- with .Values.commonLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with $c.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if or $c.podAnnotations (and $c.admissionWebhook.enabled (not $c.admissionWebhook.certificateSecret)) }}
  annotations:
    {{- with $c.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- if and $c.admissionWebhook.enabled (not $c.admissionWebhook.certificateSecret) }}
    # A new generated webhook certificate rolls the pods, which read it at start.
    checksum/webhook-certificate: {{ (include "gatehouse.webhook.certificate" . | fromJson).crt | sha256sum }}
    {{- end }}
  {{- end }}
spec:
  serviceAccountName: {{ include "gatehouse.serviceAccountName" . }}
  # The ServiceAccount token is mounted into the controller container alone (the kube-api-access volume):
  # NGINX, the process that faces the internet, never holds Kubernetes credentials (CVE-2021-25742).
  automountServiceAccountToken: false
  {{- if $sidecar }}
  # The controller signals the nginx container's master and reads its workers in /proc.
  shareProcessNamespace: true
  {{- end }}
  terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
  {{- if $c.hostNetwork }}
  hostNetwork: true
  {{- end }}
  {{- if $c.dnsPolicy }}
  dnsPolicy: {{ $c.dnsPolicy }}
  {{- else if $c.hostNetwork }}
  dnsPolicy: ClusterFirstWithHostNet
  {{- end }}
  {{- with $c.dnsConfig }}
  dnsConfig:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with $c.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    {{- $constraint := . }}
    {{- if not (hasKey . "labelSelector") }}
    {{- $constraint = merge (dict "labelSelector" (dict "matchLabels" (include "gatehouse.controller.selectorLabels" $ | fromYaml))) . }}
    {{- end }}
    - {{- toYaml $constraint | nindent 6 }}
    {{- end }}
  {{- end }}
  {{- if $c.affinity }}
  affinity:
    {{- toYaml $c.affinity | nindent 4 }}
  {{- else if and (eq $c.kind "Deployment") (ne $c.podAntiAffinity "none") }}
  affinity:
    podAntiAffinity:
      {{- if eq $c.podAntiAffinity "hard" }}
      requiredDuringSchedulingIgnoredDuringExecution:
        - topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "gatehouse.controller.selectorLabels" . | nindent 14 }}
      {{- else }}
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                {{- include "gatehouse.controller.selectorLabels" . | nindent 16 }}
      {{- end }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 101
    runAsGroup: 101
    fsGroup: 101
    seccompProfile:
      type: RuntimeDefault
    {{- if include "gatehouse.needsUnprivilegedPortSysctl" . }}
    sysctls:
      - name: net.ipv4.ip_unprivileged_port_start
        value: "0"
    {{- end }}
  {{- with $c.extraInitContainers }}
  initContainers:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    {{- if $sidecar }}
    - name: nginx
      image: {{ include "gatehouse.image" . | quote }}
      imagePullPolicy: {{ $c.image.pullPolicy }}
      # Prepares the shared conf dir (the last applied config, else a bootstrap one) and becomes NGINX's master.
      command:
        - /app/bin/gatehouse-nginx
      args:
        - --conf-dir
        - /var/lib/gatehouse
        - --nginx-healthz-port
        - {{ $c.nginx.healthzPort | quote }}
        - --log-format
        - {{ $c.logFormat }}
      ports:
        {{- include "gatehouse.controller.trafficPorts" . | nindent 8 }}
        - name: nginx-healthz
          containerPort: {{ $c.nginx.healthzPort }}
          protocol: TCP
      livenessProbe:
        httpGet:
          path: /healthz
          port: {{ $c.nginx.healthzPort }}
          scheme: HTTP
        periodSeconds: 10
        timeoutSeconds: 2
        failureThreshold: 3
      lifecycle:
        # Keep serving while the pod is withdrawn from load balancers and kube-proxy, then let NGINX finish
        # the requests in flight (worker-shutdown-timeout) and stop.
        preStop:
          exec:
            command:
              - /app/bin/gatehouse-nginx
              - drain
              - /var/lib/gatehouse
              - {{ $c.shutdown.delaySeconds | quote }}
      {{- with $c.nginx.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "gatehouse.controller.securityContext" . | nindent 8 }}
      volumeMounts:
        - name: conf
          mountPath: /var/lib/gatehouse
    {{- end }}
    - name: controller
      image: {{ include "gatehouse.image" . | quote }}
      imagePullPolicy: {{ $c.image.pullPolicy }}
      args:
        - serve
        - --http-port
        - {{ $c.containerPort.http | quote }}
        - --https-port
        - {{ $c.containerPort.https | quote }}
        - --healthz-port
        - {{ $c.containerPort.healthz | quote }}
        - --healthz-host
        - 0.0.0.0
        - --conf-dir
        - /var/lib/gatehouse
        - --ingress-class
        - {{ $c.ingressClass.name | quote }}
        - --controller-class
        - {{ $c.ingressClass.controllerValue | quote }}
        - --configmap
        - {{ printf "$(POD_NAMESPACE)/%s" $fullname | quote }}
        - --election-id
        - {{ include "gatehouse.electionId" . | quote }}
        - --election-ttl
        - {{ $c.electionTTL | quote }}
        - --shutdown-grace-period
        - {{ $c.shutdown.delaySeconds | quote }}
        {{- if $c.service.enabled }}
        - --publish-service
        - {{ printf "$(POD_NAMESPACE)/%s" $fullname | quote }}
        {{- end }}
        {{- with $c.scope.namespace }}
        - --watch-namespace
        - {{ . | quote }}
        {{- end }}
        {{- if $c.watchIngressWithoutClass }}
        - --watch-ingress-without-class
        {{- end }}
        {{- with $c.defaultBackendService }}
        - --default-backend-service
        - {{ . | quote }}
        {{- end }}
        {{- with $c.defaultSSLCertificate }}
        - --default-ssl-certificate
        - {{ . | quote }}
        {{- end }}
        {{- if not $c.updateStatus }}
        - --update-status
        - "false"
        {{- end }}
        {{- with $c.publishStatusAddress }}
        - --publish-status-address
        - {{ . | quote }}
        {{- end }}
        {{- if $c.reportNodeInternalIp }}
        - --report-node-internal-ip-address
        {{- end }}
        {{- if $c.admissionWebhook.enabled }}
        - --validating-webhook
        - {{ printf ":%d" (int $c.admissionWebhook.port) | quote }}
        - --validating-webhook-certificate
        - /etc/gatehouse/webhook/tls.crt
        - --validating-webhook-key
        - /etc/gatehouse/webhook/tls.key
        {{- end }}
        - --log-level
        - {{ $c.logLevel }}
        - --log-format
        - {{ $c.logFormat }}
        {{- if $sidecar }}
        - --nginx-mode
        - sidecar
        - --nginx-healthz-port
        - {{ $c.nginx.healthzPort | quote }}
        - --metrics-log-port
        - {{ $c.nginx.metricsLogPort | quote }}
        {{- end }}
        {{- if .Values.tcp }}
        - --tcp-services-configmap
        - {{ printf "$(POD_NAMESPACE)/%s-tcp" $fullname | quote }}
        {{- end }}
        {{- if .Values.udp }}
        - --udp-services-configmap
        - {{ printf "$(POD_NAMESPACE)/%s-udp" $fullname | quote }}
        {{- end }}
        {{- range $name, $value := $c.extraArgs }}
        {{- if has (printf "--%s" $name) $chartFlags }}
        {{- fail (printf "controller.extraArgs.%s: the chart sets --%s itself; use its value instead" $name $name) }}
        {{- end }}
        {{- if eq (toString $value) "true" }}
        - {{ printf "--%s" $name | quote }}
        {{- else }}
        - {{ printf "--%s=%v" $name $value | quote }}
        {{- end }}
        {{- end }}
      env:
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        - name: NODE_NAME
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
        {{- if $sidecar }}
        # tini is not PID 1 in a shared process namespace (the pod's pause process is): it still reaps what
        # the controller leaves behind.
        - name: TINI_SUBREAPER
          value: "1"
        {{- end }}
        {{- with $c.extraEnvs }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        {{- if not $sidecar }}
        {{- include "gatehouse.controller.trafficPorts" . | nindent 8 }}
        {{- end }}
        - name: healthz
          containerPort: {{ $c.containerPort.healthz }}
          protocol: TCP
        {{- if $c.admissionWebhook.enabled }}
        - name: webhook
          containerPort: {{ $c.admissionWebhook.port }}
          protocol: TCP
        {{- end }}
      {{- with $c.startupProbe }}
      startupProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      livenessProbe:
        httpGet:
          # In the sidecar pod the controller alone: an NGINX that does not serve is its own container's
          # probe's business, and restarting the controller would not help it.
          path: {{ ternary "/livez" "/healthz" $sidecar }}
          port: {{ $c.containerPort.healthz }}
          scheme: HTTP
        initialDelaySeconds: 10
        periodSeconds: 10
        timeoutSeconds: 2
        failureThreshold: 5
      readinessProbe:
        httpGet:
          path: /healthz
          port: {{ $c.containerPort.healthz }}
          scheme: HTTP
        periodSeconds: 5
        timeoutSeconds: 2
        failureThreshold: 3
      {{- with $c.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "gatehouse.controller.securityContext" . | nindent 8 }}
      volumeMounts:
        - name: conf
          mountPath: /var/lib/gatehouse
        - name: tmp
          mountPath: /tmp
        - name: kube-api-access
          mountPath: /var/run/secrets/kubernetes.io/serviceaccount
          readOnly: true
        {{- if $c.admissionWebhook.enabled }}
        - name: webhook-cert
          mountPath: /etc/gatehouse/webhook
          readOnly: true
        {{- end }}
        {{- with $c.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    {{- with $c.extraContainers }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  volumes:
    - name: conf
      emptyDir: {}
    - name: tmp
      emptyDir: {}
    # What the kubelet mounts when automountServiceAccountToken is true: a short-lived token it keeps
    # rotating, the cluster's CA and the namespace.
    - name: kube-api-access
      projected:
        defaultMode: 0444
        sources:
          - serviceAccountToken:
              path: token
              expirationSeconds: 3607
          - configMap:
              name: kube-root-ca.crt
              items:
                - key: ca.crt
                  path: ca.crt
          - downwardAPI:
              items:
                - path: namespace
                  fieldRef:
                    apiVersion: v1
                    fieldPath: metadata.namespace
    {{- if $c.admissionWebhook.enabled }}
    - name: webhook-cert
      secret:
        secretName: {{ include "gatehouse.webhook.secretName" . }}
        defaultMode: 0440
    {{- end }}
    {{- with $c.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/* The HTTP and HTTPS ports NGINX binds, on the container that runs NGINX. */}}
{{- define "gatehouse.controller.trafficPorts" -}}
{{- $c := .Values.controller -}}
- name: http
  containerPort: {{ $c.containerPort.http }}
  protocol: TCP
  {{- if $c.hostPort.enabled }}
  hostPort: {{ $c.hostPort.ports.http }}
  {{- end }}
- name: https
  containerPort: {{ $c.containerPort.https }}
  protocol: TCP
  {{- if $c.hostPort.enabled }}
  hostPort: {{ $c.hostPort.ports.https }}
  {{- end }}
{{- range $port, $_ := .Values.tcp }}
- name: {{ printf "%s-tcp" $port }}
  containerPort: {{ $port }}
  protocol: TCP
{{- end }}
{{- range $port, $_ := .Values.udp }}
- name: {{ printf "%s-udp" $port }}
  containerPort: {{ $port }}
  protocol: UDP
{{- end }}
{{- end }}

{{/* The Service ports of the TCP and UDP services (values `tcp`, `udp`), each to its named container port. */}}
{{- define "gatehouse.controller.streamServicePorts" -}}
{{- range $port, $_ := .Values.tcp }}
- name: {{ printf "%s-tcp" $port }}
  port: {{ $port }}
  targetPort: {{ printf "%s-tcp" $port }}
  protocol: TCP
{{- end }}
{{- range $port, $_ := .Values.udp }}
- name: {{ printf "%s-udp" $port }}
  port: {{ $port }}
  targetPort: {{ printf "%s-udp" $port }}
  protocol: UDP
{{- end }}
{{- end }}

{{/* The security context of both containers; no value loosens it. */}}
{{- define "gatehouse.controller.securityContext" -}}
runAsNonRoot: true
runAsUser: 101
runAsGroup: 101
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
  add:
    - NET_BIND_SERVICE
seccompProfile:
  type: RuntimeDefault
{{- end }}
