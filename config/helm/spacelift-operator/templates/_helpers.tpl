{{/* name is the chart name, or nameOverride. */}}
{{- define "spacelift-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* fullname prefixes every object name; it omits the chart name when the release name contains it. */}}
{{- define "spacelift-operator.fullname" -}}
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

{{- define "spacelift-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spacelift-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "spacelift-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "spacelift-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: spacelift-operator
{{- end }}

{{- define "spacelift-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "spacelift-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "spacelift-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* credentialsSecretName is the default credentials Secret, or empty when there is none. */}}
{{- define "spacelift-operator.credentialsSecretName" -}}
{{- if and .Values.credentials.create .Values.credentials.existingSecret }}
{{- fail "set either credentials.create or credentials.existingSecret, not both" }}
{{- else if .Values.credentials.create }}
{{- printf "%s-credentials" (include "spacelift-operator.fullname" .) }}
{{- else }}
{{- .Values.credentials.existingSecret }}
{{- end }}
{{- end }}

{{/* publicKeyConfigMap is the ConfigMap the run signing public key is published to (the manager's default name unless set). */}}
{{- define "spacelift-operator.publicKeyConfigMap" -}}
{{- default "spacelift-run-signing-public-keys" .Values.signingKey.publicKeyConfigMap }}
{{- end }}

{{/* args are the manager's command-line arguments. */}}
{{- define "spacelift-operator.args" -}}
- --health-probe-bind-address=:{{ .Values.healthProbePort }}
{{- if .Values.metrics.enabled }}
- --metrics-bind-address=:{{ .Values.metrics.port }}
- --metrics-secure={{ .Values.metrics.secure }}
{{- else }}
- --metrics-bind-address=0
{{- end }}
{{- if .Values.leaderElection.enabled }}
- --leader-elect
{{- end }}
{{- with .Values.watchNamespaces }}
- --watch-namespaces={{ join "," . }}
{{- end }}
- --concurrency={{ .Values.concurrency }}
- --sync-interval={{ .Values.syncInterval }}
- --spacelift-qps={{ .Values.spacelift.qps }}
- --spacelift-burst={{ .Values.spacelift.burst }}
{{- with include "spacelift-operator.credentialsSecretName" . }}
- --credentials-secret={{ $.Release.Namespace }}/{{ . }}
{{- end }}
{{- with .Values.signingKey.existingSecret }}
- --signing-key-secret={{ $.Release.Namespace }}/{{ . }}
- --signing-key-key={{ required "signingKey.key is required with signingKey.existingSecret" $.Values.signingKey.key }}
{{- with $.Values.signingKey.publicKeyConfigMap }}
- --public-key-configmap={{ $.Release.Namespace }}/{{ . }}
{{- end }}
{{- end }}
{{- if .Values.webhookReceiver.enabled }}
- --webhook-bind-address=:{{ .Values.webhookReceiver.port }}
- --webhook-secret={{ .Release.Namespace }}/{{ required "webhookReceiver.existingSecret is required when webhookReceiver.enabled: Spacelift's webhooks are verified with its HMAC secret" .Values.webhookReceiver.existingSecret }}
- --webhook-secret-key={{ required "webhookReceiver.secretKey is required when webhookReceiver.enabled" .Values.webhookReceiver.secretKey }}
{{- end }}
{{- with .Values.extraArgs }}
{{ toYaml . }}
{{- end }}
{{- end }}
