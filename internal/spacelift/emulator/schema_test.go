package emulator

import (
	"testing"

	"github.com/graph-gophers/graphql-go"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Documents shaped like the ones spacectl and the Terraform provider send;
// the schema must accept every one of them.
var realShapedDocuments = map[string]string{
	"spacectl stack list": `query($input: SearchInput!) {
  searchStacks(input: $input) {
    edges { cursor node {
      id administrative autodeploy autoretry blocker { id }
      afterApply beforeApply afterInit beforeInit afterPlan beforePlan afterPerform beforePerform afterDestroy beforeDestroy
      branch canWrite createdAt deleted deleting description labels localPreviewEnabled lockedBy managesStateFile
      name namespace projectRoot provider repository runnerImage starred state stateSetAt terraformVersion
      spaceDetails { id name description parentSpace }
      trackedCommit { authorLogin authorName hash message timestamp url }
      trackedCommitSetBy
      vendorConfig { __typename }
      workerPool { id name }
    } }
    pageInfo { endCursor hasNextPage hasPreviousPage }
  }
}`,
	"spacectl stack show": `query($stackId: ID!) {
  stack(id: $stackId) {
    id administrative
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
    workerPool { id name }
  }
}`,
	"spacectl run list": `query($stackId: ID!, $before: ID) {
  stack(id: $stackId) { runs(before: $before) {
    id branch canRetry comments { body createdAt username } commit { authorLogin authorName hash } createdAt
    delta { addCount changeCount deleteCount resources } driftDetection expired isMostRecent needsApproval
    state title triggeredBy type
  } }
}`,
	"spacectl run history": `query($stack: ID!, $run: ID!) {
  stack(id: $stack) { run(id: $run) { history { hasLogs note state stateVersion terminal timestamp username } } }
}`,
	"spacectl resources": `query($id: ID!) {
  stack(id: $id) { id labels space name entities {
    id address creator { id } drifted name parent thirdPartyMetadata type updater { id }
    vendor { ` + entityVendorSelection + ` }
  } }
}`,
	"spacectl dependencies": `query($id: ID!) {
  stack(id: $id) { id dependsOn { id stack { id name } dependsOnStack { id name } } isDependedOnBy { id stack { id name } } }
}`,
	"spacectl environment list": envListDoc,
	"spacectl run logs":         runLogsDoc,
	"spacectl run stack":        runStackDoc,
	"spacectl policy list": `query($input: SearchInput!) {
  searchPolicies(input: $input) {
    edges { node { id name description body spaceDetails { id name accessLevel } createdAt updatedAt type labels } }
    pageInfo { endCursor hasNextPage hasPreviousPage }
  }
}`,
	"spacectl policy show":        `query($policyId: ID!) { policy(id: $policyId) { id name description body spaceDetails { id name accessLevel } createdAt updatedAt type labels } }`,
	"spacectl worker pool list":   workerPoolListDoc,
	"spacectl worker list":        `query($workerPool: ID!) { workerPool(id: $workerPool) { workers { id busy drained metadata } } }`,
	"spacectl task list":          taskListDoc,
	"spacectl lock":               `mutation($stack: ID!, $note: String!) { stackLock(id: $stack, note: $note) { id } }`,
	"spacectl unlock":             `mutation($stack: ID!) { stackUnlock(id: $stack) { id } }`,
	"spacectl set current commit": `mutation($stack: ID!, $sha: String!) { stackSetCurrentCommit(id: $stack, sha: $sha) { trackedCommit { hash message } } }`,
	"spacectl sync commit":        `mutation($stack: ID!) { stackSyncCommit(id: $stack) { id } }`,
	"spacectl deploy": `mutation($stack: ID!, $sha: String, $type: RunType, $runtimeConfig: RuntimeConfigInput, $forceApply: ForceApplyMode) {
  runTrigger(stack: $stack, commitSha: $sha, runType: $type, runtimeConfig: $runtimeConfig, forceApply: $forceApply) { id }
}`,
	"spacectl setvar":             `mutation($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { id writeOnly value } }`,
	"spacectl mount":              `mutation($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { id writeOnly type } }`,
	"spacectl environment delete": `mutation($stack: ID!, $id: ID!) { stackConfigDelete(stack: $stack, id: $id) { id } }`,
	"spacectl stack delete":       `mutation($id: ID!, $destroyResources: Boolean!) { stackDelete(id: $id, destroyResources: $destroyResources) { id } }`,
	"spacectl disable":            `mutation($stack: ID!) { stackDisable(id: $stack) { id isDisabled } }`,
	"spacectl api key exchange":   `mutation($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { jwt validUntil } }`,
	"spacectl run confirm":        `mutation($stack: ID!, $run: ID!) { runConfirm(stack: $stack, run: $run) { id } }`,
	"spacectl run discard":        `mutation($stack: ID!, $run: ID!) { runDiscard(stack: $stack, run: $run) { id } }`,
	"spacectl enable":             `mutation($stack: ID!) { stackEnable(id: $stack) { id isDisabled } }`,
	"provider run trigger": `mutation($stack: ID!, $sha: String, $runType: RunType!, $runtimeConfig: RuntimeConfigInput) {
  runTrigger(stack: $stack, commitSha: $sha, runType: $runType, runtimeConfig: $runtimeConfig) { id }
}`,
	"provider stack delete":           `mutation($id: ID!) { stackDelete(id: $id, destroyResources: true) { id deleting } }`,
	"provider policy":                 `mutation($input: PolicyCreateInput!) { policyCreatev2(input: $input) { id labels name body type space description engineType } }`,
	"provider policy attachment read": `query($policy: ID!, $id: ID!) { policy(id: $policy) { attachedStack(id: $id) { id stackId isModule } } }`,
	"provider context attach":         `mutation($id: ID!, $stack: ID!, $priority: Int!) { contextAttach(id: $id, stack: $stack, priority: $priority) { id stackId isModule priority } }`,
	"provider drift": `mutation($stack: ID!, $input: DriftDetectionIntegrationInput!) {
  stackIntegrationDriftDetectionCreate(stack: $stack, input: $input) { reconcile ignoreState schedule timezone }
}`,
	"provider dependency reference": `mutation($stackDependencyID: ID!, $reference: StackDependencyReferenceInput!) {
  stackDependenciesAddReference(stackDependencyID: $stackDependencyID, reference: $reference) { id outputName inputName type triggerAlways }
}`,
	"provider dependency read": `query($stackId: ID!, $id: ID!, $dependsOnStackId: ID!) {
  stack(id: $stackId) { dependency(id: $id, dependsOnStackId: $dependsOnStackId) { id stack { id } dependsOnStack { id } } }
}`,
	"provider aws attach": `mutation($id: ID!, $projectId: ID!, $read: Boolean!, $write: Boolean!) {
  awsIntegrationAttach(id: $id, stack: $projectId, read: $read, write: $write) { id stackId isModule read write }
}`,
	"provider webhook":      `mutation($stack: ID!, $input: WebhooksIntegrationInput!) { webhooksIntegrationCreate(stack: $stack, input: $input) { id enabled } }`,
	"provider role binding": `mutation($input: StackRoleBindingInput!) { stackRoleBindingCreate(input: $input) { id role { id slug } space { id } stackID } }`,
	"provider stack config": `mutation($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { id checksum type value writeOnly description } }`,
	"provider stack integrations": `query($id: ID!) {
  stack(id: $id) { integrations { aws { assumedRoleArn assumeRolePolicyStatement externalID generateCredentialsInWorker durationSeconds region }
    driftDetection { ignoreState reconcile schedule timezone } webhooks { id enabled endpoint secret retryOnFailure } } }
}`,
}

func TestSchemaParsesWithGqlparser(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: Schema})
	if err != nil {
		t.Fatalf("gqlparser rejected the SDL: %v", err)
	}
	for name, doc := range realShapedDocuments {
		if _, errs := gqlparser.LoadQuery(schema, doc); len(errs) > 0 {
			t.Errorf("%s does not validate: %v", name, errs)
		}
	}
	// A field Spacelift does not have must be rejected, or the list above proves nothing.
	if _, errs := gqlparser.LoadQuery(schema, `{ stacks { id notARealField } }`); len(errs) == 0 {
		t.Error("validation accepted an unknown field")
	}
}

func TestSchemaParsesWithGraphGophers(t *testing.T) {
	if _, err := graphql.ParseSchema(Schema, nil, graphql.UseStringDescriptions()); err != nil {
		t.Fatalf("graph-gophers rejected the SDL: %v", err)
	}
	// With resolvers graph-gophers also checks that every field resolves.
	srv, err := New(Options{})
	if err != nil {
		t.Fatalf("graph-gophers rejected the resolvers: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}
