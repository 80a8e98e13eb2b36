package v1alpha1

// Condition types. Ready, Reconciling and Stalled follow kstatus, so that
// `kubectl wait`, Flux and Argo CD can read them.
const (
	// ConditionReady has normal-true polarity: True when the object is in sync
	// with Spacelift and nothing is left to do; False with a reason when it is not.
	ConditionReady = "Ready"

	// ConditionReconciling has abnormal-true polarity: True while the operator is
	// working towards the desired state; removed or False once it has reached it.
	ConditionReconciling = "Reconciling"

	// ConditionStalled has abnormal-true polarity: True when progress needs a
	// person (an invalid spec, a missing Secret); the reason says what to fix.
	ConditionStalled = "Stalled"

	// ConditionSynced has normal-true polarity: True when the last write of the
	// spec to Spacelift succeeded and Spacelift matches the spec.
	ConditionSynced = "Synced"

	// ConditionDrifted has abnormal-true polarity: True when the latest
	// drift-detection run found drifted resources; False when it found none;
	// Unknown when drift detection is off or has not run yet.
	ConditionDrifted = "Drifted"

	// ConditionDeletionBlocked has abnormal-true polarity: True while a delete
	// is requested but cannot proceed (for example protectFromDeletion is set).
	ConditionDeletionBlocked = "DeletionBlocked"
)

// Condition reasons. Each names the cause in CamelCase; the message says what
// to do about it.
const (
	// ReasonSucceeded accompanies Ready=True and Synced=True.
	ReasonSucceeded = "Succeeded"

	// ReasonProgressing accompanies Reconciling=True while work is under way.
	ReasonProgressing = "Progressing"

	// ReasonSyncPending accompanies Ready=Unknown before the first sync finished.
	ReasonSyncPending = "SyncPending"

	// ReasonSyncFailed accompanies Synced=False when Spacelift rejected a write
	// for a reason that a retry may fix.
	ReasonSyncFailed = "SyncFailed"

	// ReasonInvalidSpec accompanies Stalled=True when the spec cannot be turned
	// into a Spacelift object; the message names the field.
	ReasonInvalidSpec = "InvalidSpec"

	// ReasonRejectedBySpacelift accompanies Stalled=True when Spacelift
	// rejected the input as invalid; retrying the same spec will not help.
	ReasonRejectedBySpacelift = "RejectedBySpacelift"

	// ReasonAlreadyExists accompanies Stalled=True when a Spacelift object
	// with the same id exists and is neither ours nor to be adopted.
	ReasonAlreadyExists = "AlreadyExists"

	// ReasonCredentialsNotFound accompanies Stalled=True when the credentials
	// Secret does not exist.
	ReasonCredentialsNotFound = "CredentialsNotFound"

	// ReasonCredentialsInvalid accompanies Stalled=True when the credentials
	// Secret lacks a key or Spacelift refused the API key.
	ReasonCredentialsInvalid = "CredentialsInvalid"

	// ReasonReferenceNotFound accompanies Stalled=True when a referenced
	// Secret, ConfigMap, Policy or Stack object does not exist.
	ReasonReferenceNotFound = "ReferenceNotFound"

	// ReasonDependencyNotReady accompanies Ready=False while a referenced Stack
	// object has no Spacelift id yet.
	ReasonDependencyNotReady = "DependencyNotReady"

	// ReasonInvalidRego accompanies Stalled=True when a policy body does not
	// parse or compile; the message gives line and column.
	ReasonInvalidRego = "InvalidRego"

	// ReasonSpaceliftUnavailable accompanies Ready=False while Spacelift cannot
	// be reached; the operator keeps retrying.
	ReasonSpaceliftUnavailable = "SpaceliftUnavailable"

	// ReasonSuspended accompanies Ready=False while spec.suspend is true.
	ReasonSuspended = "Suspended"

	// ReasonDeletionProtected accompanies DeletionBlocked=True while
	// protectFromDeletion is set on an object being deleted.
	ReasonDeletionProtected = "DeletionProtected"

	// ReasonDeleting accompanies Reconciling=True while Spacelift deletes the
	// stack (and, with Destroy, its resources).
	ReasonDeleting = "Deleting"

	// ReasonDriftDetected accompanies Drifted=True.
	ReasonDriftDetected = "DriftDetected"

	// ReasonNoDrift accompanies Drifted=False.
	ReasonNoDrift = "NoDrift"

	// ReasonDriftDetectionDisabled accompanies Drifted=Unknown when drift
	// detection is not enabled for the stack.
	ReasonDriftDetectionDisabled = "DriftDetectionDisabled"

	// ReasonNotYetChecked accompanies Drifted=Unknown before the first
	// drift-detection run finished.
	ReasonNotYetChecked = "NotYetChecked"

	// ReasonSourceUnavailable accompanies Ready=False on an AdminStack whose
	// atmos source (Git or ConfigMaps) cannot be read.
	ReasonSourceUnavailable = "SourceUnavailable"

	// ReasonChildrenNotReady accompanies Ready=False on an AdminStack while
	// some child stacks are not Ready yet.
	ReasonChildrenNotReady = "ChildrenNotReady"

	// ReasonUnknownName accompanies Stalled=True on an AdminStack whose
	// configuration names a worker pool, space or context that Spacelift does
	// not have (or has twice); the message lists every such name and where
	// it was set.
	ReasonUnknownName = "UnknownName"

	// ReasonOwnedByAnother accompanies Stalled=True when the Spacelift object
	// this object names is managed by another Kubernetes object, maybe in
	// another namespace; nothing is written to it.
	ReasonOwnedByAnother = "OwnedByAnother"

	// ReasonNotPermitted accompanies Stalled=True when the object asks for
	// something its namespace is not granted (a space, a role binding, an
	// account-wide policy, a reference to a Spacelift object it does not
	// manage, …); the message names each field and the grant it needs.
	ReasonNotPermitted = "NotPermitted"

	// ReasonPruneBlocked accompanies Stalled=True on an AdminStack whose
	// change would delete more children than its pruneGuard allows; nothing
	// is deleted until the confirm-prune annotation names the change.
	ReasonPruneBlocked = "PruneBlocked"

	// ReasonChildrenStalled accompanies Stalled=True on an AdminStack while
	// some of its children are Stalled; the message counts and names them.
	ReasonChildrenStalled = "ChildrenStalled"
)
