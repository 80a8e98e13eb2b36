# INITIALIZATION policy: only let runs start that carry run metadata written
# and signed by spacelift-operator.
#
# The operator sends a signed JSON document in the
# Spacelift-User-Provided-Run-Metadata header when it triggers or confirms a
# run; Spacelift appends each one to input.run.user_provided_metadata (a list
# of strings, one per API call). The document looks like:
#
#   {"v":1,"src":"spacelift-operator","ns":"infra","name":"network",...,
#    "sha":"<commit>","type":"TRACKED","ts":"...","nonce":"...",
#    "kid":"<key id>","sig":"<ed25519 signature>"}
#
# What this policy can and cannot check
# -------------------------------------
# Rego has no ed25519 built-in, so this policy only checks the *shape*: some
# entry is a JSON document from spacelift-operator with a non-empty signature
# and, when both are known, the same commit as the run. Anyone able to call
# the Spacelift API could forge that shape. The cryptographic check runs on a
# private worker: the launcher's own initialization policy
# (SPACELIFT_LAUNCHER_RUN_INITIALIZATION_POLICY) can use the worker-only exec
# helper to run, for each metadata entry,
#
#   spacelift-operator verify-run --public-key-dir /etc/spacelift-operator/keys --metadata <entry>
#
# and deny the run unless one of them exits with status 0. verify-run checks
# the signature against the published public keys, the maximum age (--max-age,
# default 1h) and the clock skew, and prints the reason for a rejection on
# stderr. Check the exec helper's argument form in the Spacelift documentation
# for your worker version.
#
# Written in Rego v1 syntax (OPA >= 1.0) without `import rego.v1`, which
# Spacelift does not accept.
package spacelift

operator_source := "spacelift-operator"

# The metadata strings attached to the run; empty when Spacelift sent none.
entries := input.run.user_provided_metadata if {
	is_array(input.run.user_provided_metadata)
} else := []

# Entries that are JSON documents written by spacelift-operator.
operator_documents contains doc if {
	some entry in entries
	is_string(entry)
	json.is_valid(entry)
	doc := json.unmarshal(entry)
	is_object(doc)
	doc.src == operator_source
}

# Operator documents that carry a signature (verified on the worker).
signed_documents contains doc if {
	some doc in operator_documents
	is_string(doc.sig)
	doc.sig != ""
}

# The commit the run is on: run.commit.hash in the server-side input,
# static_run_environment.commit_sha in the worker-side (launcher) input.
run_commit := input.run.commit.hash if {
	is_string(input.run.commit.hash)
	input.run.commit.hash != ""
} else := input.static_run_environment.commit_sha if {
	is_string(input.static_run_environment.commit_sha)
	input.static_run_environment.commit_sha != ""
} else := ""

deny contains "run has no user-provided metadata: runs on this stack must be created by spacelift-operator" if {
	count(entries) == 0
}

deny contains "run metadata does not come from spacelift-operator" if {
	count(entries) > 0
	count(operator_documents) == 0
}

deny contains "spacelift-operator run metadata is not signed" if {
	count(operator_documents) > 0
	count(signed_documents) == 0
}

deny contains msg if {
	some doc in signed_documents
	is_string(doc.sha)
	doc.sha != ""
	run_commit != ""
	lower(doc.sha) != lower(run_commit)
	msg := sprintf("run commit %s does not match commit %s in the spacelift-operator run metadata", [run_commit, doc.sha])
}
