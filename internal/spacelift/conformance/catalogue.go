package conformance

import "time"

// The catalogue: documents shaped like the ones spacectl and Spacelift's
// Terraform provider send, written from the facts in their public sources
// (spacelift-io/spacectl internal/cmd and internal/logs,
// spacelift-io/terraform-provider-spacelift spacelift/*.go and
// spacelift/internal/structs): operation names, arguments, variable and
// input types and selected fields. Both build their documents from Go
// structs with the shurcooL/graphql library, which names a variable's type
// after the Go type (graphql.ID is ID!, *graphql.String is String, a struct
// named StackInput is StackInput!), so the declarations below follow the
// types their code passes. No code of theirs is copied.

// providerStack is what the provider's structs.Stack selects.
const providerStack = `id administrative afterApply afterDestroy afterInit afterPerform afterPlan afterRun
autodeploy autoretry beforeApply beforeDestroy beforeInit beforePerform beforePlan branch deleting description
isDisabled githubActionDeploy
integrations {
  aws { assumedRoleArn assumeRolePolicyStatement externalID generateCredentialsInWorker durationSeconds region }
  driftDetection { ignoreState reconcile schedule timezone }
  gcp { serviceAccountEmail tokenScopes }
  webhooks { id enabled endpoint secret retryOnFailure }
}
labels localPreviewEnabled enableWellKnownSecretMasking enableSensitiveOutputUpload managesStateFile name namespace
projectRoot additionalProjectGlobs gitSparseCheckoutPaths protectFromDeletion provider repository repositoryURL
runnerImage space
spaceDetails { id description name inheritEntities parentSpace labels }
terraformVersion
vcsIntegration { id isDefault }
vendorConfig {
  __typename
  ... on StackConfigVendorAnsible { playbook }
  ... on StackConfigVendorCloudFormation { entryTemplateFile region stackName templateBucket }
  ... on StackConfigVendorKubernetes { namespace kubectlVersion kubernetesWorkflowTool }
  ... on StackConfigVendorOpenTofu { concise externalStateAccessEnabled useSmartSanitization version openTofuWorkflowTool: workflowTool workspace }
  ... on StackConfigVendorPulumi { loginURL stackName }
  ... on StackConfigVendorTerraform { useSmartSanitization version workflowTool workspace externalStateAccessEnabled }
  ... on StackConfigVendorTerragrunt { terraformVersion terragruntVersion useRunAll useSmartSanitization useStateManagement prefixResourceNamesWithModuleName skipReplanWhenRunAll skipReplan tool }
}
workerPool { id }`

const providerSpace = `id description name inheritEntities parentSpace labels`

const providerContext = `id description labels name space
hooks { afterApply afterDestroy afterInit afterPerform afterPlan afterRun beforeApply beforeDestroy beforeInit beforePerform beforePlan }`

const providerConfigElement = `id checksum type value writeOnly description`

const providerAWSIntegration = `id durationSeconds generateCredentialsInWorker externalId labels name roleArn space region autoattachEnabled tagAssumeRole`

// testCSR is shaped like the PEM certificate signing request the provider
// generates for a worker pool; the emulator checks only the PEM header.
const testCSR = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBcemulated\n-----END CERTIFICATE REQUEST-----\n"

// providerScheduledRun is what the provider's structs.ScheduledRun selects.
const providerScheduledRun = `id name cronSchedule timestampSchedule nextSchedule timezone
customRuntimeConfig { environment { key value } projectRoot runnerImage terraformVersion terraformWorkflowTool
  afterApply beforeApply afterInit beforeInit afterPlan beforePlan afterPerform beforePerform afterDestroy afterRun beforeDestroy }`

const providerRole = `id slug isSystem name description actions roleBindingsCount`

// providerStackInput is a StackInput as the provider fills it for a
// Terraform stack: every boolean sent, optional strings null.
func providerStackInput(name string) map[string]any {
	return map[string]any{
		"administrative": false, "afterApply": []any{}, "afterDestroy": []any{}, "afterInit": []any{},
		"afterPerform": []any{}, "afterPlan": []any{}, "afterRun": []any{}, "autodeploy": true, "autoretry": false,
		"beforeApply": []any{}, "beforeDestroy": []any{}, "beforeInit": []any{}, "beforePerform": []any{}, "beforePlan": []any{},
		"branch": "main", "description": "managed by tofu", "githubActionDeploy": true, "labels": []any{"team:web"},
		"localPreviewEnabled": false, "enableWellKnownSecretMasking": false, "enableSensitiveOutputUpload": true,
		"name": name, "namespace": nil, "projectRoot": nil, "additionalProjectGlobs": []any{}, "gitSparseCheckoutPaths": []any{},
		"protectFromDeletion": false, "provider": "GITHUB", "repository": "infra", "repositoryURL": nil, "runnerImage": nil,
		"space": "root", "vcsIntegrationId": nil, "workerPool": nil,
		"vendorConfig": map[string]any{"terraform": map[string]any{
			"useSmartSanitization": false, "version": "1.5.7", "workflowTool": "TERRAFORM_FOSS", "workspace": nil, "externalStateAccessEnabled": false,
		}},
	}
}

// spacectlStackShow is what `spacectl stack show` selects.
const spacectlStackShow = `id administrative
attachedContexts { contextId contextName priority config { id checksum runtime type writeOnly } }
attachedPolicies { policyId policyName policyType }
autodeploy autoretry blocker { id }
afterApply beforeApply afterInit beforeInit afterPlan beforePlan afterPerform beforePerform afterDestroy beforeDestroy
branch canWrite config { id checksum runtime type writeOnly } createdAt deleted deleting description labels
localPreviewEnabled lockedBy managesStateFile
moduleVersionsUsed { id number module { id name owner } }
name namespace projectRoot additionalProjectGlobs provider repository runnerImage starred state stateSetAt terraformVersion
trackedCommit { authorLogin authorName hash message timestamp url }
trackedCommitSetBy
vendorConfig {
  __typename
  ... on StackConfigVendorAnsible { playbook }
  ... on StackConfigVendorCloudFormation { entryTemplateFile templateBucket stackName region }
  ... on StackConfigVendorKubernetes { namespace kubectlVersion kubernetesWorkflowTool }
  ... on StackConfigVendorOpenTofu { version workspace useSmartSanitization externalStateAccessEnabled concise openTofuWorkflowTool: workflowTool }
  ... on StackConfigVendorPulumi { loginURL stackName }
  ... on StackConfigVendorTerraform { version workspace useSmartSanitization externalStateAccessEnabled terraformWorkflowTool: workflowTool }
  ... on StackConfigVendorTerragrunt { terraformVersion terragruntVersion useRunAll useSmartSanitization tool useStateManagement }
}
workerPool { id name }`

// spacectlStackList is what `spacectl stack list` selects per stack.
const spacectlStackList = `id administrative autodeploy autoretry blocker { id }
afterApply beforeApply afterInit beforeInit afterPlan beforePlan afterPerform beforePerform afterDestroy beforeDestroy
branch canWrite createdAt deleted deleting description labels localPreviewEnabled lockedBy managesStateFile name namespace
projectRoot provider repository runnerImage starred state stateSetAt terraformVersion
spaceDetails { id name description parentSpace }
trackedCommit { authorLogin authorName hash message timestamp url }
trackedCommitSetBy vendorConfig { __typename } workerPool { id name }`

const spacectlRunJSON = `id branch canRetry comments { body createdAt username } commit { authorLogin authorName hash }
createdAt delta { addCount changeCount deleteCount resources } driftDetection expired isMostRecent needsApproval
state title triggeredBy`

const spacectlEntities = `id labels space name
entities {
  id address creator { id } drifted name parent thirdPartyMetadata type updater { id }
  vendor {
    ... on EntityVendorAnsible { ansible { ... on AnsibleResource { data } } }
    ... on EntityVendorCloudFormation { cloudFormation {
      ... on CloudFormationResource { logicalResourceId physicalResourceId template }
      ... on CloudFormationOutput { description export value } } }
    ... on EntityVendorKubernetes { kubernetes { ... on KubernetesResource { data } ... on KubernetesRoot { phantom } } }
    ... on EntityVendorPulumi { pulumi { ... on PulumiOutput { sensitive value hash } ... on PulumiStack { phantom } ... on PulumiResource { urn id provider parent outputs } } }
    ... on EntityVendorTerraform { terraform { ... on TerraformResource { address mode module provider tainted values } ... on TerraformModule { phantom } ... on TerraformOutput { sensitive value hash } } }
  }
}`

func search(extra map[string]any) map[string]any {
	in := map[string]any{"first": 50, "after": nil}
	for k, v := range extra {
		in[k] = v
	}
	return map[string]any{"input": in}
}

// ProviderDocs are documents shaped like the Terraform provider's, for the
// resources and data sources the project relies on.
var ProviderDocs = []Doc{
	{Name: "spacelift_stack create", Query: `mutation StackCreate($input: StackInput!, $manageState: Boolean!, $stackObjectID: String, $slug: String) {
  stackCreate(input: $input, manageState: $manageState, stackObjectID: $stackObjectID, slug: $slug) { ` + providerStack + ` } }`,
		Vars: map[string]any{"input": providerStackInput("tofu-stack"), "manageState": true, "stackObjectID": nil, "slug": nil}},
	{Name: "spacelift_stack read", Query: `query StackRead($id: ID!) { stack(id: $id) { ` + providerStack + ` } }`,
		Vars: map[string]any{"id": "s"}},
	{Name: "spacelift_stack update", Query: `mutation StackUpdate($id: ID!, $input: StackInput!) { stackUpdate(id: $id, input: $input) { ` + providerStack + ` } }`,
		Vars: map[string]any{"id": "s", "input": providerStackInput("s")}},
	{Name: "spacelift_stack delete", Query: `mutation StackDelete($id: ID!) { stackDelete(id: $id) { ` + providerStack + ` } }`,
		Vars: map[string]any{"id": "bare"}},
	{Name: "spacelift_stack run wait", Query: `query StackRunRead($stackId: ID!, $runId: ID!) { stack(id: $stackId) { runResourceState(id: $runId) { id state finished } } }`,
		Vars: map[string]any{"stackId": "s", "runId": "@unconfirmedRun"}},
	{Name: "spacelift_policy create", Query: `mutation PolicyCreateV2($input: PolicyCreateInput!) { policyCreatev2(input: $input) { id labels name body type space description engineType } }`,
		Vars: map[string]any{"input": map[string]any{"name": "tofu-policy", "body": "package spacelift", "labels": []any{"autoattach:team:web"},
			"space": "root", "description": "from tofu", "engineType": "REGO_V1", "type": "PLAN"}}},
	{Name: "spacelift_policy read", Query: `query PolicyRead($id: ID!) { policy(id: $id) { id labels name body type space description engineType } }`,
		Vars: map[string]any{"id": "p"}},
	{Name: "spacelift_policy update", Query: `mutation PolicyUpdateV2($id: ID!, $input: PolicyUpdateInput!) { policyUpdatev2(id: $id, input: $input) { id labels name body type space description engineType } }`,
		Vars: map[string]any{"id": "p", "input": map[string]any{"name": "p", "body": "package spacelift\n", "labels": nil, "space": nil, "description": nil, "engineType": nil}}},
	{Name: "spacelift_policy delete", Query: `mutation PolicyDelete($id: ID!) { policyDelete(id: $id) { id labels name body type space description engineType } }`,
		Vars: map[string]any{"id": "p"}},
	{Name: "spacelift_policy_attachment create", Query: `mutation PolicyAttachmentCreate($id: ID!, $stack: ID!) { policyAttach(id: $id, stack: $stack) { id stackId isModule } }`,
		Vars: map[string]any{"id": "p", "stack": "bare"}},
	{Name: "spacelift_policy_attachment read", Query: `query PolicyAttachmentFetch($policy: ID!, $id: ID!) { policy(id: $policy) { attachedStack(id: $id) { id stackId isModule } } }`,
		Vars: map[string]any{"policy": "p", "id": "s"}},
	{Name: "spacelift_policy_attachment delete", Query: `mutation PolicyAttachmentDelete($id: ID!) { policyDetach(id: $id) { id stackId isModule } }`,
		Vars: map[string]any{"id": "@policyAttachment"}},
	{Name: "spacelift_stack_dependency create", Query: `mutation StackDependencyCreate($input: StackDependencyInput!) { stackDependencyCreate(input: $input) { id stack { id } dependsOnStack { id } } }`,
		Vars: map[string]any{"input": map[string]any{"stackId": "bare", "dependsOnStackId": "other"}}},
	{Name: "spacelift_stack_dependency read", Query: `query StackDependencyRead($stackId: ID!, $id: ID!, $dependsOnStackId: ID!) {
  stack(id: $stackId) { dependency(id: $id, dependsOnStackId: $dependsOnStackId) { id stack { id } dependsOnStack { id } } } }`,
		Vars: map[string]any{"stackId": "s", "id": "@dependency", "dependsOnStackId": "other"}},
	{Name: "spacelift_stack_dependency delete", Query: `mutation StackDependencyDelete($id: ID!) { stackDependencyDelete(id: $id) { id stack { id } dependsOnStack { id } } }`,
		Vars: map[string]any{"id": "@dependency"}},
	{Name: "spacelift_stack_dependency_reference create", Query: `mutation StackDependenciesAddReference($stackDependencyID: ID!, $reference: StackDependencyReferenceInput!) {
  stackDependenciesAddReference(stackDependencyID: $stackDependencyID, reference: $reference) { id outputName inputName type triggerAlways } }`,
		Vars: map[string]any{"stackDependencyID": "@dependency", "reference": map[string]any{"outputName": "subnet", "inputName": "TF_VAR_subnet", "type": "ENVIRONMENT_VARIABLE", "triggerAlways": false}}},
	{Name: "spacelift_stack_dependency_reference read", Query: `query StackDependencyReferenceRead($stack_id: ID!, $dependency_id: ID!, $depends_on_stack_id: ID!, $reference_id: ID!, $input_name: String!) {
  stack(id: $stack_id) { dependency(id: $dependency_id, dependsOnStackId: $depends_on_stack_id) { reference(id: $reference_id, inputName: $input_name) { id outputName inputName type triggerAlways } } } }`,
		Vars: map[string]any{"stack_id": "s", "dependency_id": "@dependency", "depends_on_stack_id": "other", "reference_id": "@reference", "input_name": "TF_VAR_network_id"}},
	{Name: "spacelift_stack_dependency_reference update", Query: `mutation StackDependenciesUpdateReference($reference: StackDependencyReferenceUpdateInput!) {
  stackDependenciesUpdateReference(reference: $reference) { id outputName inputName type triggerAlways } }`,
		Vars: map[string]any{"reference": map[string]any{"id": "@reference", "outputName": "network", "inputName": "TF_VAR_network_id", "type": "ENVIRONMENT_VARIABLE", "triggerAlways": true}}},
	{Name: "spacelift_stack_dependency_reference delete", Query: `mutation StackDependenciesDeleteReference($id: ID!) { stackDependenciesDeleteReference(id: $id) { id outputName inputName type triggerAlways } }`,
		Vars: map[string]any{"id": "@reference"}},
	{Name: "spacelift_drift_detection create", Query: `mutation DriftDetectionCreate($stack: ID!, $input: DriftDetectionIntegrationInput!) {
  stackIntegrationDriftDetectionCreate(stack: $stack, input: $input) { reconcile ignoreState schedule timezone } }`,
		Vars: map[string]any{"stack": "bare", "input": map[string]any{"ignoreState": false, "reconcile": true, "schedule": []any{"*/15 * * * *"}, "timezone": "Europe/Warsaw"}}},
	{Name: "spacelift_drift_detection read", Query: `query StackDriftDetectionRead($id: ID!) { stack(id: $id) { ` + providerStack + ` } }`,
		Vars: map[string]any{"id": "s"}},
	{Name: "spacelift_drift_detection update", Query: `mutation DriftDetectionUpdate($stack: ID!, $input: DriftDetectionIntegrationInput!) {
  stackIntegrationDriftDetectionUpdate(stack: $stack, input: $input) { reconcile ignoreState schedule timezone } }`,
		Vars: map[string]any{"stack": "s", "input": map[string]any{"ignoreState": true, "reconcile": false, "schedule": []any{"0 5 * * 1-5"}, "timezone": nil}}},
	{Name: "spacelift_drift_detection delete", Query: `mutation DriftDetectionDelete($stack: ID!) { stackIntegrationDriftDetectionDelete(stack: $stack) { id } }`,
		Vars: map[string]any{"stack": "s"}},
	{Name: "spacelift_environment_variable create on a stack", Query: `mutation EnvironmentVariableCreateStack($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { ` + providerConfigElement + ` } }`,
		Vars: map[string]any{"stack": "s", "config": map[string]any{"id": "TF_VAR_y", "type": "ENVIRONMENT_VARIABLE", "value": "2", "writeOnly": true, "description": nil}}},
	{Name: "spacelift_environment_variable read on a stack", Query: `query EnvironmentVariableReadStack($stack: ID!, $id: ID!) { stack(id: $stack) { configElement(id: $id) { ` + providerConfigElement + ` } } }`,
		Vars: map[string]any{"stack": "s", "id": "TF_VAR_x"}},
	{Name: "spacelift_environment_variable delete on a stack", Query: `mutation EnvironmentVariableDeleteStack($stack: ID!, $id: ID!) { stackConfigDelete(stack: $stack, id: $id) { ` + providerConfigElement + ` } }`,
		Vars: map[string]any{"stack": "s", "id": "TF_VAR_x"}},
	{Name: "spacelift_environment_variable create in a context", Query: `mutation EnvironmentVariableCreateContext($context: ID!, $config: ConfigInput!) { contextConfigAdd(context: $context, config: $config) { ` + providerConfigElement + ` } }`,
		Vars: map[string]any{"context": "ctx", "config": map[string]any{"id": "CTX_OTHER", "type": "ENVIRONMENT_VARIABLE", "value": "v", "writeOnly": false, "description": "d"}}},
	{Name: "spacelift_environment_variable read in a context", Query: `query EnvironmentVariableReadContext($context: ID!, $id: ID!) { context(id: $context) { configElement(id: $id) { ` + providerConfigElement + ` } } }`,
		Vars: map[string]any{"context": "ctx", "id": "CTX_VAR"}},
	{Name: "spacelift_environment_variable delete in a context", Query: `mutation EnvironmentVariableDeleteContext($context: ID!, $id: ID!) { contextConfigDelete(context: $context, id: $id) { ` + providerConfigElement + ` } }`,
		Vars: map[string]any{"context": "ctx", "id": "CTX_VAR"}},
	{Name: "spacelift_mounted_file create on a stack", Query: `mutation MountedFileCreateStack($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { ` + providerConfigElement + ` } }`,
		Vars: map[string]any{"stack": "s", "config": map[string]any{"id": "conf.json", "type": "FILE_MOUNT", "value": "e30=", "writeOnly": true, "description": nil}}},
	{Name: "spacelift_mounted_file read on a stack", Query: `query MountedFileReadStack($stack: ID!, $id: ID!) { stack(id: $stack) { configElement(id: $id) { ` + providerConfigElement + ` } } }`,
		Vars: map[string]any{"stack": "s", "id": "file.txt"}},
	{Name: "spacelift_stack_destructor discard runs", Query: `mutation StackDestructorDiscardRuns($id: ID!) { runDiscardAll(stack: $id) { discardedRuns { id } failedDiscarding } }`,
		Vars: map[string]any{"id": "s"}},
	{Name: "spacelift_stack_destructor wait for unblock", Query: `query StackCheckBlocker($id: ID!) { stack(id: $id) { blocker { id } } }`,
		Vars: map[string]any{"id": "s"}},
	{Name: "spacelift_stack_destructor delete", Query: `mutation StackDestructorDelete($id: ID!) { stackDelete(id: $id, destroyResources: true) { ` + providerStack + ` } }`,
		Vars: map[string]any{"id": "bare"}},
	{Name: "spacelift_context create", Query: `mutation ContextCreate($input: ContextInput!) { contextCreateV2(input: $input) { ` + providerContext + ` } }`,
		Vars: map[string]any{"input": map[string]any{"name": "tofu-context", "description": nil, "labels": []any{"autoattach:team:web"}, "space": "root",
			"hooks": map[string]any{"afterApply": []any{"echo done"}, "afterDestroy": []any{}, "afterInit": []any{}, "afterPerform": []any{}, "afterPlan": []any{},
				"afterRun": []any{}, "beforeApply": []any{}, "beforeDestroy": []any{}, "beforeInit": []any{"terraform version"}, "beforePerform": []any{}, "beforePlan": []any{}}}}},
	{Name: "spacelift_context read", Query: `query ContextRead($id: ID!) { context(id: $id) { ` + providerContext + ` } }`,
		Vars: map[string]any{"id": "ctx"}},
	{Name: "spacelift_context update", Query: `mutation ContextUpdate($id: ID!, $input: ContextInput!) { contextUpdateV2(id: $id, input: $input) { ` + providerContext + ` } }`,
		Vars: map[string]any{"id": "ctx", "input": map[string]any{"name": "ctx", "description": "shared settings", "labels": nil, "space": nil, "hooks": nil}}},
	{Name: "spacelift_context delete", Query: `mutation ContextDelete($id: ID!) { contextDelete(id: $id) { ` + providerContext + ` } }`,
		Vars: map[string]any{"id": "ctx"}},
	{Name: "spacelift_context_attachment create", Query: `mutation ContextAttachmentCreate($id: ID!, $stack: ID!, $priority: Int!) { contextAttach(id: $id, stack: $stack, priority: $priority) { id stackId isModule priority } }`,
		Vars: map[string]any{"id": "ctx", "stack": "bare", "priority": 0}},
	{Name: "spacelift_context_attachment read", Query: `query ContextAttachmentFetch($context: ID!, $project: ID!) { context(id: $context) { attachedStack(id: $project) { id stackId isModule priority } } }`,
		Vars: map[string]any{"context": "ctx", "project": "s"}},
	{Name: "spacelift_context_attachment delete", Query: `mutation ContextAttachmentDelete($id: ID!) { contextDetach(id: $id) { id stackId isModule priority } }`,
		Vars: map[string]any{"id": "@contextAttachment"}},
	{Name: "spacelift_webhook create", Query: `mutation WebhookCreate($stack: ID!, $input: WebhooksIntegrationInput!) { webhooksIntegrationCreate(stack: $stack, input: $input) { id enabled } }`,
		Vars: map[string]any{"stack": "bare", "input": map[string]any{"enabled": true, "endpoint": "https://example.com/tofu", "secret": "s3cr3t", "retryOnFailure": nil}}},
	{Name: "spacelift_webhook read", Query: `query StackWebhookRead($id: ID!) { stack(id: $id) { ` + providerStack + ` } }`,
		Vars: map[string]any{"id": "s"}},
	{Name: "spacelift_webhook update", Query: `mutation WebhookUpdate($stack: ID!, $webhook: ID!, $input: WebhooksIntegrationInput!) { webhooksIntegrationUpdate(stack: $stack, id: $webhook, input: $input) { id enabled } }`,
		Vars: map[string]any{"stack": "s", "webhook": "@webhook", "input": map[string]any{"enabled": false, "endpoint": "https://example.com/hook", "secret": "new", "retryOnFailure": true}}},
	{Name: "spacelift_webhook delete", Query: `mutation WebhookDelete($stack: ID!, $webhook: ID!) { webhooksIntegrationDelete(stack: $stack, id: $webhook) { id } }`,
		Vars: map[string]any{"stack": "s", "webhook": "@webhook"}},
	{Name: "spacelift_aws_integration_attachment create", Query: `mutation awsIntegrationAttach($id: ID!, $projectId: ID!, $read: Boolean!, $write: Boolean!) {
  awsIntegrationAttach(id: $id, stack: $projectId, read: $read, write: $write) { id stackId isModule read write } }`,
		Vars: map[string]any{"id": "aws", "projectId": "bare", "read": true, "write": false}},
	{Name: "spacelift_aws_integration_attachment read", Query: `query awsIntegrationAttachmentRead($integrationId: ID!, $projectId: ID!) {
  awsIntegration(id: $integrationId) { attachedStack(id: $projectId) { id stackId isModule read write } } }`,
		Vars: map[string]any{"integrationId": "aws", "projectId": "s"}},
	{Name: "spacelift_aws_integration_attachment update", Query: `mutation awsIntegrationAttachmentUpdate($id: ID!, $read: Boolean!, $write: Boolean!) {
  awsIntegrationAttachmentUpdate(id: $id, read: $read, write: $write) { id stackId isModule read write } }`,
		Vars: map[string]any{"id": "@awsAttachment", "read": true, "write": false}},
	{Name: "spacelift_aws_integration_attachment delete", Query: `mutation awsIntegrationAttachmentDelete($id: ID!) { awsIntegrationDetach(id: $id) { id stackId isModule read write } }`,
		Vars: map[string]any{"id": "@awsAttachment"}},
	{Name: "spacelift_role_attachment create for a stack", Query: `mutation StackRoleBindingCreate($input: StackRoleBindingInput!) {
  stackRoleBindingCreate(input: $input) { id role { ` + providerRole + ` } space { ` + providerSpace + ` } stackID } }`,
		Vars: map[string]any{"input": map[string]any{"stackID": "bare", "roleID": "space-admin", "spaceID": "root"}}},
	{Name: "spacelift_role_attachment read for a stack", Query: `query StackRoleBindingRead($id: ID!) {
  stackRoleBinding(id: $id) { id role { ` + providerRole + ` } space { ` + providerSpace + ` } stackID } }`,
		Vars: map[string]any{"id": "@roleBinding"}},
	{Name: "spacelift_role_attachment delete for a stack", Query: `mutation StackRoleBindingDelete($id: ID!) {
  stackRoleBindingDelete(id: $id) { id role { ` + providerRole + ` } space { ` + providerSpace + ` } stackID } }`,
		Vars: map[string]any{"id": "@roleBinding"}},
	{Name: "spacelift_space create", Query: `mutation CreateSpace($input: SpaceInput!) { spaceCreate(input: $input) { ` + providerSpace + ` } }`,
		Vars: map[string]any{"input": map[string]any{"name": "dev", "description": "", "inheritEntities": true, "parentSpace": "plat", "labels": []any{"env"}}}},
	{Name: "spacelift_space read", Query: `query SpaceRead($id: ID!) { space(id: $id) { ` + providerSpace + ` } }`,
		Vars: map[string]any{"id": "plat"}},
	{Name: "spacelift_space update", Query: `mutation SpaceUpdate($space: ID!, $input: SpaceInput!) { spaceUpdate(space: $space, input: $input) { ` + providerSpace + ` } }`,
		Vars: map[string]any{"space": "plat", "input": map[string]any{"name": "platform", "description": "team", "inheritEntities": false, "parentSpace": "root", "labels": nil}}},
	{Name: "spacelift_space delete", Query: `mutation DeleteSpace($id: ID!) { spaceDelete(space: $id) { ` + providerSpace + ` } }`,
		Vars: map[string]any{"id": "plat"}},
	{Name: "spacelift_worker_pool create", Query: `mutation WorkerPoolCreate($name: String!, $csr: String!, $description: String, $labels: [String!]!, $space: ID, $drift_detection_run_limit: Int) {
  workerPoolCreate(name: $name, certificateSigningRequest: $csr, description: $description, labels: $labels, space: $space, driftDetectionRunLimit: $drift_detection_run_limit) {
    id config name description labels space driftDetectionRunLimit } }`,
		Vars: map[string]any{"name": "tofu-pool", "csr": testCSR, "description": nil, "labels": []any{"k8s"}, "space": "plat", "drift_detection_run_limit": 5}},
	{Name: "spacelift_worker_pool read", Query: `query WorkerPoolRead($id: ID!) { workerPool(id: $id) { id config name description labels space driftDetectionRunLimit } }`,
		Vars: map[string]any{"id": "pool"}},
	{Name: "spacelift_worker_pool update", Query: `mutation WorkerPoolUpdate($id: ID!, $name: String!, $description: String, $labels: [String!]!, $space: ID, $drift_detection_run_limit: Int) {
  workerPoolUpdate(id: $id, name: $name, description: $description, labels: $labels, space: $space, driftDetectionRunLimit: $drift_detection_run_limit) {
    id config name description labels space driftDetectionRunLimit } }`,
		Vars: map[string]any{"id": "pool", "name": "pool", "description": "renamed", "labels": []any{}, "space": nil, "drift_detection_run_limit": nil}},
	{Name: "spacelift_worker_pool reset", Query: `mutation WorkerPoolReset($id: ID!, $csr: String!) { workerPoolReset(id: $id, certificateSigningRequest: $csr) { id config } }`,
		Vars: map[string]any{"id": "pool", "csr": testCSR}},
	{Name: "spacelift_worker_pool delete", Query: `mutation WorkerPoolDelete($id: ID!) { workerPoolDelete(id: $id) { id config name description labels space driftDetectionRunLimit } }`,
		Vars: map[string]any{"id": "pool"}},
	{Name: "spacelift_aws_integration create", Query: `mutation AWSIntegrationCreate($name: String!, $roleArn: String!, $generateCredentialsInWorker: Boolean!, $externalID: String!, $durationSeconds: Int!,
  $labels: [String!]!, $space: ID, $region: String, $autoattachEnabled: Boolean!, $tagAssumeRole: Boolean!) {
  awsIntegrationCreate(name: $name, roleArn: $roleArn, generateCredentialsInWorker: $generateCredentialsInWorker, externalID: $externalID, durationSeconds: $durationSeconds,
    labels: $labels, space: $space, region: $region, autoattachEnabled: $autoattachEnabled, tagAssumeRole: $tagAssumeRole) { ` + providerAWSIntegration + ` } }`,
		Vars: map[string]any{"name": "tofu-aws", "roleArn": "arn:aws:iam::123456789012:role/tofu", "generateCredentialsInWorker": false, "externalID": "",
			"durationSeconds": 3600, "labels": []any{}, "space": nil, "region": "eu-west-1", "autoattachEnabled": false, "tagAssumeRole": true}},
	{Name: "spacelift_aws_integration read", Query: `query AWSIntegrationRead($id: ID!) { awsIntegration(id: $id) { ` + providerAWSIntegration + ` } }`,
		Vars: map[string]any{"id": "aws"}},
	{Name: "spacelift_aws_integration data source by name", Query: `query AWSIntegrationByNameRead($name: String!) { awsIntegrationByName(name: $name) { ` + providerAWSIntegration + ` } }`,
		Vars: map[string]any{"name": "aws"}},
	{Name: "spacelift_aws_integration update", Query: `mutation AWSIntegrationUpdate($id: ID!, $name: String!, $roleArn: String!, $generateCredentialsInWorker: Boolean!, $externalID: String!, $durationSeconds: Int!,
  $labels: [String!]!, $space: ID, $region: String, $autoattachEnabled: Boolean!, $tagAssumeRole: Boolean!) {
  awsIntegrationUpdate(id: $id, name: $name, roleArn: $roleArn, generateCredentialsInWorker: $generateCredentialsInWorker, externalID: $externalID, durationSeconds: $durationSeconds,
    labels: $labels, space: $space, region: $region, autoattachEnabled: $autoattachEnabled, tagAssumeRole: $tagAssumeRole) { ` + providerAWSIntegration + ` } }`,
		Vars: map[string]any{"id": "aws", "name": "aws", "roleArn": "arn:aws:iam::123456789012:role/other", "generateCredentialsInWorker": true, "externalID": "x",
			"durationSeconds": 900, "labels": []any{"autoattach:*"}, "space": "root", "region": nil, "autoattachEnabled": true, "tagAssumeRole": false}},
	{Name: "spacelift_aws_integration delete", Query: `mutation AWSIntegrationDelete($id: ID!) { awsIntegrationDelete(id: $id) { ` + providerAWSIntegration + ` } }`,
		Vars: map[string]any{"id": "aws"}},
	{Name: "spacelift_scheduled_run create", Query: `mutation ScheduledRunCreate($stack: ID!, $input: ScheduledRunInput!) { stackScheduledRunCreate(stack: $stack, input: $input) { ` + providerScheduledRun + ` } }`,
		Vars: map[string]any{"stack": "bare", "input": map[string]any{"name": "weekly", "cronSchedule": []any{"0 6 * * 1"}, "timestampSchedule": nil, "timezone": "Europe/Berlin",
			"runtimeConfig": map[string]any{"environment": []any{map[string]any{"key": "TF_VAR_x", "value": "1"}}, "runnerImage": "public.ecr.aws/spacelift/runner-terraform"}}}},
	{Name: "spacelift_scheduled_run read", Query: `query ScheduledRunRead($stack: ID!, $id: ID!) { stack(id: $stack) { scheduledRun(id: $id) { ` + providerScheduledRun + ` } } }`,
		Vars: map[string]any{"stack": "s", "id": "@scheduledRun"}},
	{Name: "spacelift_scheduled_run update", Query: `mutation ScheduledRunUpdate($stack: ID!, $scheduledRun: ID!, $input: ScheduledRunInput!) {
  stackScheduledRunUpdate(stack: $stack, scheduledRun: $scheduledRun, input: $input) { ` + providerScheduledRun + ` } }`,
		Vars: map[string]any{"stack": "s", "scheduledRun": "@scheduledRun", "input": map[string]any{"name": "nightly", "cronSchedule": nil, "timestampSchedule": Epoch.Add(48 * time.Hour).Unix(), "timezone": nil, "runtimeConfig": nil}}},
	{Name: "spacelift_scheduled_run delete", Query: `mutation ScheduledRunDelete($stack: ID!, $scheduledRun: ID!) { stackScheduledRunDelete(stack: $stack, scheduledRun: $scheduledRun) { ` + providerScheduledRun + ` } }`,
		Vars: map[string]any{"stack": "s", "scheduledRun": "@scheduledRun"}},
	{Name: "spacelift_scheduled_task create", Query: `mutation ScheduledTaskCreate($stack: ID!, $input: ScheduledTaskInput!) { stackScheduledTaskCreate(stack: $stack, input: $input) { id command cronSchedule timestampSchedule timezone } }`,
		Vars: map[string]any{"stack": "bare", "input": map[string]any{"command": "tofu output", "cronSchedule": []any{"*/30 * * * *"}, "timestampSchedule": nil, "timezone": "UTC"}}},
	{Name: "spacelift_scheduled_task read", Query: `query ScheduledTaskRead($stack: ID!, $id: ID!) { stack(id: $stack) { scheduledTask(id: $id) { id command cronSchedule timestampSchedule timezone } } }`,
		Vars: map[string]any{"stack": "s", "id": "@scheduledTask"}},
	{Name: "spacelift_scheduled_task update", Query: `mutation ScheduledTaskUpdate($stack: ID!, $scheduledTask: ID!, $input: ScheduledTaskInput!) {
  stackScheduledTaskUpdate(stack: $stack, scheduledTask: $scheduledTask, input: $input) { id command cronSchedule timestampSchedule timezone } }`,
		Vars: map[string]any{"stack": "s", "scheduledTask": "@scheduledTask", "input": map[string]any{"command": "tofu state list -id=x", "cronSchedule": []any{"0 4 * * *"}, "timestampSchedule": nil, "timezone": nil}}},
	{Name: "spacelift_scheduled_task delete", Query: `mutation ScheduledTaskDelete($stack: ID!, $scheduledTask: ID!) { stackScheduledTaskDelete(stack: $stack, scheduledTask: $scheduledTask) { id } }`,
		Vars: map[string]any{"stack": "s", "scheduledTask": "@scheduledTask"}},
	{Name: "spacelift_scheduled_delete_stack create", Query: `mutation ScheduledDeleteCreate($stack: ID!, $input: ScheduledDeleteInput!) { stackScheduledDeleteCreate(stack: $stack, input: $input) { id shouldDeleteResources timestampSchedule } }`,
		Vars: map[string]any{"stack": "bare", "input": map[string]any{"shouldDeleteResources": false, "timestampSchedule": Epoch.Add(72 * time.Hour).Unix()}}},
	{Name: "spacelift_scheduled_delete_stack read", Query: `query StackSchedulingRead($stack: ID!, $id: ID!) { stack(id: $stack) { scheduledDelete(id: $id) { id shouldDeleteResources timestampSchedule } } }`,
		Vars: map[string]any{"stack": "s", "id": "@scheduledDelete"}},
	{Name: "spacelift_scheduled_delete_stack update", Query: `mutation ScheduledDeleteUpdate($stack: ID!, $scheduledDelete: ID!, $input: ScheduledDeleteInput!) {
  stackScheduledDeleteUpdate(stack: $stack, scheduledDelete: $scheduledDelete, input: $input) { id shouldDeleteResources timestampSchedule } }`,
		Vars: map[string]any{"stack": "s", "scheduledDelete": "@scheduledDelete", "input": map[string]any{"shouldDeleteResources": false, "timestampSchedule": Epoch.Add(96 * time.Hour).Unix()}}},
	{Name: "spacelift_scheduled_delete_stack delete", Query: `mutation ScheduledDeleteDelete($stack: ID!, $scheduledDelete: ID!) { stackScheduledDeleteDelete(stack: $stack, scheduledDelete: $scheduledDelete) { id } }`,
		Vars: map[string]any{"stack": "s", "scheduledDelete": "@scheduledDelete"}},
	{Name: "spacelift_role data source", Query: `query ReadAllRoles { roles { ` + providerRole + ` } }`},
	{Name: "spacelift_stacks data source", Query: `query StacksPage($input: SearchInput!) { searchStacks(input: $input) { edges { node { ` + providerStack + ` } } pageInfo { endCursor hasNextPage hasPreviousPage } } }`,
		Vars: search(map[string]any{"predicates": []any{
			map[string]any{"field": "label", "constraint": map[string]any{"booleanEquals": nil, "enumEquals": nil, "stringMatches": []any{"team:web"}}},
			map[string]any{"field": "administrative", "constraint": map[string]any{"booleanEquals": []any{false}, "enumEquals": nil, "stringMatches": nil}},
			map[string]any{"field": "state", "constraint": map[string]any{"booleanEquals": nil, "enumEquals": []any{"NONE", "UNCONFIRMED"}, "stringMatches": nil}},
		}})},
	{Name: "spacelift_worker_pools data source", Query: `query WorkerPoolsRead { workerPools() { id config name description labels space driftDetectionRunLimit } }`},
	{Name: "spacelift_spaces data source", Query: `query SpacesRead { spaces() { ` + providerSpace + ` } }`},
	{Name: "spacelift_policies data source", Query: `query PoliciesRead { policies() { id labels name type space description engineType } }`},
}

// SpacectlDocs are documents shaped like spacectl's, for the stack, run,
// policy, worker pool, context and space commands.
var SpacectlDocs = []Doc{
	{Name: "whoami", Query: `{ viewer { id name } }`},
	{Name: "stack list", Query: `query ($input: SearchInput!) { searchStacks(input: $input) { edges { cursor node { ` + spacectlStackList + ` } } pageInfo { endCursor hasNextPage } } }`,
		Vars: search(map[string]any{"fullTextSearch": nil, "predicates": nil, "orderBy": nil})},
	{Name: "stack show", Query: `query ($stackId: ID!) { stack(id: $stackId) { ` + spacectlStackShow + ` } }`,
		Vars: map[string]any{"stackId": "s"}},
	{Name: "stack selector by run", Query: `query ($runId: ID!) { runStack(runId: $runId) { id name } }`,
		Vars: map[string]any{"runId": "@unconfirmedRun"}},
	{Name: "stack selector by repository", Query: `query ($input: SearchInput!) { searchStacks(input: $input) { edges { node { id name } } pageInfo { endCursor hasNextPage } } }`,
		Vars: search(map[string]any{"predicates": []any{
			map[string]any{"field": "repository", "constraint": map[string]any{"stringMatches": []any{"infra"}}},
			map[string]any{"field": "projectRoot", "constraint": map[string]any{"stringMatches": []any{""}}},
		}})},
	{Name: "stack outputs", Query: `query ($stackId: ID!) { stack(id: $stackId) { id name outputs { id sensitive description value } } }`,
		Vars: map[string]any{"stackId": "s"}},
	{Name: "stack resources list", Query: `query ($id: ID!) { stack(id: $id) { ` + spacectlEntities + ` } }`,
		Vars: map[string]any{"id": "s"}},
	{Name: "stack resources list (all stacks)", Query: `{ stacks { ` + spacectlEntities + ` } }`},
	{Name: "stack dependencies", Query: `query ($id: ID!) { stack(id: $id) { id labels space name dependsOn { stack { id name } dependsOnStack { id name } } isDependedOnBy { stack { id name } dependsOnStack { id name } } } }`,
		Vars: map[string]any{"id": "other"}},
	{Name: "stack environment list", Query: `query ($stack: ID!) { stack(id: $stack) {
  runtimeConfig { context { id contextName } element { id checksum createdAt runtime type value writeOnly } }
  attachedContexts { contextId contextName priority isAutoattached config { id checksum createdAt runtime type value writeOnly } } } }`,
		Vars: map[string]any{"stack": "s"}},
	{Name: "stack environment setvar", Query: `mutation ($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { id writeOnly value } }`,
		Vars: map[string]any{"stack": "s", "config": map[string]any{"id": "TF_VAR_z", "type": "ENVIRONMENT_VARIABLE", "value": "3", "writeOnly": false}}},
	{Name: "stack environment mount", Query: `mutation ($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { id writeOnly type } }`,
		Vars: map[string]any{"stack": "s", "config": map[string]any{"id": "kubeconfig", "type": "FILE_MOUNT", "value": "aGk=", "writeOnly": true}}},
	{Name: "stack environment delete", Query: `mutation ($stack: ID!, $id: ID!) { stackConfigDelete(stack: $stack, id: $id) { id } }`,
		Vars: map[string]any{"stack": "s", "id": "TF_VAR_x"}},
	{Name: "stack run list", Query: `query ($stackId: ID!, $before: ID) { stack(id: $stackId) { runs(before: $before) { ` + spacectlRunJSON + ` } } }`,
		Vars: map[string]any{"stackId": "s", "before": nil}},
	{Name: "stack run list --preview", Query: `query ($stackId: ID!, $before: ID) { stack(id: $stackId) { proposedRuns(before: $before) { id state title commit { authorName hash } createdAt triggeredBy delta { addCount changeCount deleteCount } } } }`,
		Vars: map[string]any{"stackId": "other", "before": nil}},
	{Name: "stack task list", Query: `query ($stackId: ID!, $before: ID) { stack(id: $stackId) { tasks(before: $before) { id state command commit { hash } createdAt triggeredBy } } }`,
		Vars: map[string]any{"stackId": "s", "before": nil}},
	{Name: "stack logs history", Query: `query ($stack: ID!, $run: ID!) { stack(id: $stack) { run(id: $run) { id state finished history { hasLogs state stateVersion terminal timestamp } } } }`,
		Vars: map[string]any{"stack": "s", "run": "@unconfirmedRun"}},
	{Name: "stack logs", Query: `query ($stack: ID!, $run: ID!, $state: RunState!, $token: String, $stateVersion: Int) {
  stack(id: $stack) { run(id: $run) { logs(state: $state, token: $token, stateVersion: $stateVersion) { exists finished hasMore messages { message timestamp } nextToken } } } }`,
		Vars: map[string]any{"stack": "s", "run": "@unconfirmedRun", "state": "PLANNING", "token": nil, "stateVersion": nil}},
	{Name: "stack deploy", Query: `mutation ($stack: ID!, $sha: String, $type: RunType, $runtimeConfig: RuntimeConfigInput) {
  runTrigger(stack: $stack, commitSha: $sha, runType: $type, runtimeConfig: $runtimeConfig) { id } }`,
		Vars: map[string]any{"stack": "bare", "sha": nil, "type": "TRACKED", "runtimeConfig": map[string]any{"environment": []any{map[string]any{"key": "K", "value": "v"}}}}},
	{Name: "stack preview", Query: `mutation ($stack: ID!, $sha: String, $type: RunType, $runtimeConfig: RuntimeConfigInput) {
  runTrigger(stack: $stack, commitSha: $sha, runType: $type, runtimeConfig: $runtimeConfig) { id } }`,
		Vars: map[string]any{"stack": "bare", "sha": "0123abcd", "type": "PROPOSED", "runtimeConfig": nil}},
	{Name: "stack confirm", Query: `mutation ($stack: ID!, $run: ID!) { runConfirm(stack: $stack, run: $run) { id } }`,
		Vars: map[string]any{"stack": "s", "run": "@unconfirmedRun"}},
	{Name: "stack discard", Query: `mutation ($stack: ID!, $run: ID!) { runDiscard(stack: $stack, run: $run) { id } }`,
		Vars: map[string]any{"stack": "s", "run": "@unconfirmedRun"}},
	{Name: "stack cancel", Query: `mutation ($stack: ID!, $run: ID!) { runCancel(stack: $stack, run: $run) { id } }`,
		Vars: map[string]any{"stack": "s", "run": "@queuedRun"}},
	{Name: "stack stop", Query: `mutation ($stack: ID!, $run: ID!, $note: String!) { runStop(stack: $stack, run: $run, note: $note) { id } }`,
		Vars: map[string]any{"stack": "busy", "run": "@busyRun", "note": "Stopped by spacectl"}},
	{Name: "stack retry", Query: `mutation ($stack: ID!, $run: ID!) { runRetry(stack: $stack, run: $run) { id } }`,
		Vars: map[string]any{"stack": "other", "run": "@failedRun"}},
	{Name: "stack replan", Query: `mutation ($stack: ID!, $run: ID!, $targets: [String!]!) { runTargetedReplan(stack: $stack, run: $run, targets: $targets) { id } }`,
		Vars: map[string]any{"stack": "s", "run": "@unconfirmedRun", "targets": []any{"null_resource.a"}}},
	{Name: "stack changes", Query: `query ($stack: ID!, $run: ID!) { stack(id: $stack) { run(id: $run) { changesV3(input: {}) { resources { address previousAddress metadata { type } } } } } }`,
		Vars: map[string]any{"stack": "s", "run": "@unconfirmedRun"}},
	{Name: "stack promote", Query: `mutation ($stack: ID!, $run: ID!) { runPromote(stack: $stack, run: $run) { id } }`,
		Vars: map[string]any{"stack": "other", "run": "@proposedRun"}},
	{Name: "stack approve", Query: `mutation ($stack: ID!, $run: ID, $decision: RunReviewDecision!, $note: String!) { runReview(stack: $stack, run: $run, decision: $decision, note: $note) { id } }`,
		Vars: map[string]any{"stack": "s", "run": "@unconfirmedRun", "decision": "APPROVE", "note": "lgtm"}},
	{Name: "stack reject (current blocker)", Query: `mutation ($stack: ID!, $run: ID, $decision: RunReviewDecision!, $note: String!) { runReview(stack: $stack, run: $run, decision: $decision, note: $note) { id } }`,
		Vars: map[string]any{"stack": "s", "run": nil, "decision": "REJECT", "note": ""}},
	{Name: "stack prioritize", Query: `mutation ($stackId: ID!, $runId: ID!, $prioritize: Boolean!) { runPrioritizeSet(stack: $stackId, run: $runId, prioritize: $prioritize) { id } }`,
		Vars: map[string]any{"stackId": "s", "runId": "@queuedRun", "prioritize": true}},
	{Name: "stack task", Query: `mutation ($stack: ID!, $command: String!, $noinit: Boolean) { taskCreate(stack: $stack, command: $command, skipInitialization: $noinit) { id } }`,
		Vars: map[string]any{"stack": "s", "command": "terraform state list", "noinit": false}},
	{Name: "stack state pull", Query: `mutation ($input: StateDownloadUrlInput!) { stateDownloadUrl(input: $input) { url } }`,
		Vars: map[string]any{"input": map[string]any{"stackId": "s"}}},
	{Name: "stack lock", Query: `mutation ($stack: ID!, $note: String) { stackLock(id: $stack, note: $note) { id } }`,
		Vars: map[string]any{"stack": "s", "note": "maintenance"}},
	{Name: "stack unlock", Query: `mutation ($stack: ID!) { stackUnlock(id: $stack) { id } }`,
		Vars: map[string]any{"stack": "s"}},
	{Name: "stack enable", Query: `mutation ($stack: ID!) { stackEnable(id: $stack) { id } }`, Vars: map[string]any{"stack": "s"}},
	{Name: "stack disable", Query: `mutation ($stack: ID!) { stackDisable(id: $stack) { id } }`, Vars: map[string]any{"stack": "s"}},
	{Name: "stack set-current-commit", Query: `mutation ($stack: ID!, $sha: String!) { stackSetCurrentCommit(id: $stack, sha: $sha) { id } }`,
		Vars: map[string]any{"stack": "s", "sha": "0123456789abcdef0123456789abcdef01234567"}},
	{Name: "stack sync-commit", Query: `mutation ($stack: ID!) { stackSyncCommit(id: $stack) { id } }`, Vars: map[string]any{"stack": "s"}},
	{Name: "stack delete", Query: `mutation ($id: ID!, $destroyResources: Boolean) { stackDelete(id: $id, destroyResources: $destroyResources) { id } }`,
		Vars: map[string]any{"id": "bare", "destroyResources": false}},
	{Name: "policy list", Query: `query ($input: SearchInput!) { searchPolicies(input: $input) { edges { node { id name description body spaceDetails { id name accessLevel } createdAt updatedAt type labels } } pageInfo { endCursor hasNextPage hasPreviousPage } } }`,
		Vars: search(nil)},
	{Name: "policy show", Query: `query ($policyId: ID!) { policy(id: $policyId) { id name description body spaceDetails { id name accessLevel } createdAt updatedAt type labels } }`,
		Vars: map[string]any{"policyId": "p"}},
	{Name: "workerpool list", Query: `{ workerPools { id name description pendingRuns busyWorkers workers { id } } }`},
	{Name: "workerpool search (mcp)", Query: `query ($input: SearchInput!) { searchWorkerPools(input: $input) {
  edges { node { id name description createdAt updatedAt deleted spaceDetails { id name } labels workersCount busyWorkers pendingRuns } } pageInfo { endCursor hasNextPage } } }`,
		Vars: search(map[string]any{"fullTextSearch": "pool"})},
	{Name: "workerpool show (mcp)", Query: `query ($workerPoolId: ID!) { workerPool(id: $workerPoolId) {
  id name description createdAt updatedAt deleted spaceDetails { id name } labels workersCount busyWorkers pendingRuns managedByK8sController } }`,
		Vars: map[string]any{"workerPoolId": "pool"}},
	{Name: "context search (mcp)", Query: `query ($input: SearchInput!) { searchContexts(input: $input) {
  edges { node { id name labels createdAt updatedAt spaceDetails { id name } description hasAttachedStacks } } pageInfo { endCursor hasNextPage } } }`,
		Vars: search(map[string]any{"predicates": []any{
			map[string]any{"field": "space", "constraint": map[string]any{"stringMatches": []any{"root"}}},
			map[string]any{"field": "labels", "constraint": map[string]any{"stringMatches": []any{"shared"}}},
		}})},
	{Name: "context show (mcp)", Query: `query ($contextId: ID!) { context(id: $contextId) {
  id name labels createdAt updatedAt spaceDetails { id name } description hasAttachedStacks
  config { id type value writeOnly description checksum runtime }
  attachedStacks { stackId stackName isAutoattached priority } } }`,
		Vars: map[string]any{"contextId": "ctx"}},
	{Name: "space list (mcp)", Query: `{ spaces { id name description parentSpace inheritEntities accessLevel labels } }`},
	{Name: "space show (mcp)", Query: `query ($spaceId: ID!) { space(id: $spaceId) { id name description parentSpace inheritEntities accessLevel labels } }`,
		Vars: map[string]any{"spaceId": "plat"}},
}

// spaceliftOperatorStackInput is a StackInput as Spacelift's own Kubernetes
// operator (spacelift-io/spacelift-operator) fills it: autodeploy, autoretry
// and most optional members null.
func spaceliftOperatorStackInput(name string) map[string]any {
	return map[string]any{
		"additionalProjectGlobs": nil, "administrative": false, "afterApply": nil, "afterDestroy": nil, "afterInit": nil,
		"afterPerform": nil, "afterPlan": nil, "afterRun": nil, "autodeploy": nil, "autoretry": nil, "beforeApply": nil,
		"beforeDestroy": nil, "beforeInit": nil, "beforePerform": nil, "beforePlan": nil, "branch": "main", "description": nil,
		"githubActionDeploy": nil, "labels": nil, "localPreviewEnabled": nil, "name": name, "namespace": nil, "projectRoot": nil,
		"protectFromDeletion": nil, "provider": nil, "repository": "infra", "repositoryURL": nil, "runnerImage": nil, "space": nil,
		"vendorConfig": map[string]any{"terraform": map[string]any{"useSmartSanitization": nil, "version": "1.5.7", "workflowTool": nil,
			"workspace": nil, "externalStateAccessEnabled": nil}},
		"workerPool": nil,
	}
}

// SpaceliftOperatorDocs are documents shaped like the ones Spacelift's own
// Kubernetes operator sends: the real API accepts them, so the emulator
// must too.
var SpaceliftOperatorDocs = []Doc{
	{Name: "stack create with null autodeploy", Query: `mutation($input: StackInput!, $manageState: Boolean!) { stackCreate(input: $input, manageState: $manageState) { id } }`,
		Vars: map[string]any{"input": spaceliftOperatorStackInput("k8s-stack"), "manageState": true}},
	{Name: "stack update with null autodeploy", Query: `mutation($id: ID!, $input: StackInput!) { stackUpdate(id: $id, input: $input) { id } }`,
		Vars: map[string]any{"id": "s", "input": spaceliftOperatorStackInput("s")}},
	{Name: "stack read", Query: `query($stackId: ID!) { stack(id: $stackId) { id state trackedCommit { hash } } }`,
		Vars: map[string]any{"stackId": "s"}},
	{Name: "run trigger", Query: `mutation($stack: ID!) { runTrigger(stack: $stack) { id state } }`,
		Vars: map[string]any{"stack": "bare"}},
	{Name: "policy create (v1)", Query: `mutation($name: String!, $body: String!, $type: PolicyType!, $labels: [String!], $space: ID, $description: String!) {
  policyCreate(name: $name, body: $body, type: $type, labels: $labels, space: $space, description: $description) { id } }`,
		Vars: map[string]any{"name": "k8s-policy", "body": "package spacelift", "type": "APPROVAL", "labels": nil, "space": nil, "description": ""}},
	{Name: "policy update (v1)", Query: `mutation($id: ID!, $name: String!, $body: String!, $labels: [String!], $space: ID, $description: String!) {
  policyUpdate(id: $id, name: $name, body: $body, labels: $labels, space: $space, description: $description) { id } }`,
		Vars: map[string]any{"id": "p", "name": "p", "body": "package spacelift\n", "labels": []any{"k8s"}, "space": "root", "description": ""}},
	{Name: "policy attachments", Query: `query($id: ID!) { policy(id: $id) { id attachedStacks { id stackId isAutoattached } } }`,
		Vars: map[string]any{"id": "p"}},
	{Name: "space create", Query: `mutation($input: SpaceInput!) { spaceCreate(input: $input) { id } }`,
		Vars: map[string]any{"input": map[string]any{"name": "k8s-space", "description": "", "inheritEntities": true, "parentSpace": "root", "labels": nil}}},
	{Name: "space update", Query: `mutation($space: ID!, $input: SpaceInput!) { spaceUpdate(space: $space, input: $input) { id } }`,
		Vars: map[string]any{"space": "plat", "input": map[string]any{"name": "plat", "description": "d", "inheritEntities": false, "parentSpace": "root", "labels": []any{"x"}}}},
	{Name: "context read", Query: `query($id: ID!) { context(id: $id) { id name config { id type value writeOnly } } }`,
		Vars: map[string]any{"id": "ctx"}},
}

func init() {
	for i := range SpaceliftOperatorDocs {
		SpaceliftOperatorDocs[i].Client = "spacelift-operator"
	}
	for i := range ProviderDocs {
		ProviderDocs[i].Client = "terraform-provider"
	}
	for i := range SpacectlDocs {
		SpacectlDocs[i].Client = "spacectl"
	}
}
