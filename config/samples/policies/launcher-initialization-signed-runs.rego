# Worker-side initialization policy for the Spacelift launcher: refuse, on
# your own private worker, to run anything spacelift-operator did not
# trigger. Point the launcher at this file with
#   SPACELIFT_LAUNCHER_RUN_INITIALIZATION_POLICY=/path/to/launcher-initialization-signed-runs.rego
# (for Kubernetes workers, see the WorkerPool's initialization policy
# settings). The launcher evaluates it before it starts each job and refuses
# the job when `deny` is not empty; the policy verifies the operator's signed
# run token by itself: no exec, no call out of the worker.
#
# The operator sends a run token in the Spacelift-User-Provided-Run-Metadata
# header of runTrigger and runConfirm; Spacelift appends each one to
# input.run.user_provided_metadata. A token is a compact JWS signed with
# EdDSA (Ed25519) by the operator's signing key:
#
#   header  {"alg":"EdDSA","kid":"<key id>","typ":"spacelift-run+jwt"}
#   claims  {"iss":"spacelift-operator","jti":"<random id>","iat":<s>,"exp":<s>,
#            "ns":"<namespace>","name":"<object>","uid":"…","gen":3,"kind":"Stack",
#            "stack":"<stack id>","sha":"<commit>","type":"TRACKED"}
#
# The worker-side input has no commit hash in `run`; the run is identified by
# input.static_run_environment (stack_slug, commit_sha, run_type) and
# input.run.created_at. When a tracked run is confirmed, the launcher sees the
# trigger token and the CONFIRM token; the age is always measured against the
# run's creation, so the apply phase of a run confirmed hours later passes.
# Needs the launcher to embed OPA 1.8.0 or later (EdDSA support in io.jwt).
# Rego v1 syntax. `spacelift-operator verify-run` checks the same rule outside
# OPA, for CI or older launchers.
package spacelift

# ---- Settings ----

# The public keys allowed to sign run tokens, as a JSON Web Key Set: the
# jwks.json entry of the ConfigMap the operator publishes them to
#   kubectl get configmap spacelift-run-signing-public-keys -n <namespace> \
#     -o jsonpath='{.data.jwks\.json}'
# Replace this value, which holds the publicly known TEST key of
# internal/runmeta/runmetatest (anyone can sign with it). When the operator's
# signing key rotates, the ConfigMap lists the new key first and keeps the
# old one; update this value before runs signed by the new key reach the
# policy, and drop the old key only once no run signed by it awaits review.
jwks := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"OS1ZOSrLyLvL7t9flZAsw4Jr28JFlNHNiYNLpRGPMIk","kid":"c0f7e4f326234b7d","alg":"EdDSA","use":"sig"}]}`

# The "iss" claim the operator writes.
issuer := "spacelift-operator"

# The "typ" header of run tokens.
token_type := "spacelift-run+jwt"

# How long before the run's creation its token may have been issued. The
# operator signs right before it calls runTrigger, so a few minutes cover
# API latency and clock skew between the cluster and Spacelift.
max_age_ns := 900000000000 # 15 minutes

# How far after the run's creation its token may have been issued.
clock_skew_ns := 120000000000 # 2 minutes

# ---- The run, as the launcher's policy input describes it ----

run_stack := input.static_run_environment.stack_slug if {
	is_string(input.static_run_environment.stack_slug)
} else := ""

run_commit := input.static_run_environment.commit_sha if {
	is_string(input.static_run_environment.commit_sha)
} else := ""

run_type := input.static_run_environment.run_type

run_created_ns := input.run.created_at if {
	is_number(input.run.created_at)
} else := -1

# ---- BEGIN verification core: identical in every signed-runs sample ----
#
# Rule. Spacelift appends one user_provided_metadata entry per API call, so
# the first entry is the one attached when the run was triggered. The run is
# authorized when that entry is a spacelift-operator run token that
#   - verifies with a key in `jwks` (alg EdDSA, issuer `issuer`, typ
#     `token_type`) and had not expired when the run was created;
#   - was issued at most `max_age_ns` before the run was created and at most
#     `clock_skew_ns` after it;
#   - names this run's stack, its type (TRACKED or PROPOSED) and, when it
#     names one, its commit (the operator leaves the commit out when it asks
#     for the head of the tracked branch).
# Later entries that are run tokens (the operator adds a CONFIRM token when
# it confirms the run) must verify as well, name the same stack and commit,
# be CONFIRM tokens issued no earlier than the first one, and every token id
# (jti) may appear only once. Entries that are not run tokens are ignored
# after the first. A token copied to another stack, commit or run type, one
# issued long before the run, and a token pasted twice are all refused; the
# remaining replay window is a run of the same stack, commit and type created
# within `max_age_ns` of the original, which is what the operator asked for.

# The metadata strings attached to the run; empty when Spacelift sent none.
entries := input.run.user_provided_metadata if {
	is_array(input.run.user_provided_metadata)
} else := []

ns_per_s := 1000000000

# Entries shaped like a compact JWS whose header says it is a run token,
# with their unverified header and claims, by position.
tokens[i] := {"header": header, "claims": claims} if {
	some i, entry in entries
	is_string(entry)
	regex.match(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`, entry)
	[header, claims, _] := io.jwt.decode(entry)
	is_object(header)
	is_object(claims)
	header.typ == token_type
}

# The claims of entries[i] if its signature verifies with a key in jwks, it
# was issued by `issuer` and it had not expired at at_ns.
verified_at(i, at_ns) := claims if {
	tokens[i]
	[valid, header, claims] := io.jwt.decode_verify(entries[i], {
		"cert": jwks,
		"alg": "EdDSA",
		"iss": issuer,
		"time": at_ns,
	})
	valid == true
	header.typ == token_type
}

# The claims of run token i if its signature and issuer check out, whatever
# the time: the time constraint is its own iat, at which it is always valid.
signed_claims(i) := verified_at(i, tokens[i].claims.iat * ns_per_s)

commit_matches(claims) if {
	object.get(claims, "sha", "") == ""
}

commit_matches(claims) if {
	is_string(claims.sha)
	claims.sha != ""
	lower(claims.sha) == lower(run_commit)
}

# The first entry's claims, verified at the run's creation time.
trigger_claims := verified_at(0, run_created_ns)

authorized if {
	c := trigger_claims
	c.stack == run_stack
	c.type == run_type
	commit_matches(c)
	c.iat * ns_per_s >= run_created_ns - max_age_ns
	c.iat * ns_per_s <= run_created_ns + clock_skew_ns
}

problems contains "run has no user-provided metadata: it was not triggered by spacelift-operator" if {
	count(entries) == 0
}

problems contains "policy input has no run.created_at: cannot check the age of the run token" if {
	run_created_ns < 0
}

problems contains "policy input names no stack id: cannot check which stack the run token was issued for" if {
	run_stack == ""
}

problems contains "the run's first metadata entry is not a spacelift-operator run token: the run was not triggered by spacelift-operator" if {
	count(entries) > 0
	not tokens[0]
}

problems contains msg if {
	some i, t in tokens
	t.header.alg == "none"
	msg := sprintf("metadata entry %d is an unsigned spacelift-operator run token", [i])
}

problems contains msg if {
	some i, t in tokens
	t.header.alg != "none"
	not signed_claims(i)
	msg := sprintf("metadata entry %d does not verify with the published keys (key id %v): forged, altered, signed by an unknown key or not issued by %s", [i, object.get(t.header, "kid", "none"), issuer])
}

problems contains msg if {
	signed_claims(0)
	not trigger_claims
	msg := sprintf("the run token had expired (exp %v) when the run was created", [tokens[0].claims.exp])
}

problems contains msg if {
	c := signed_claims(0)
	c.iat * ns_per_s < run_created_ns - max_age_ns
	msg := sprintf("the run token was issued %ds before the run was created, more than the %ds allowed: stale or replayed", [floor((run_created_ns - c.iat * ns_per_s) / ns_per_s), max_age_ns / ns_per_s])
}

problems contains msg if {
	c := signed_claims(0)
	c.iat * ns_per_s > run_created_ns + clock_skew_ns
	msg := sprintf("the run token was issued %ds after the run was created: it was not attached when the run was triggered", [floor((c.iat * ns_per_s - run_created_ns) / ns_per_s)])
}

problems contains msg if {
	c := signed_claims(0)
	c.type != run_type
	msg := sprintf("the run token was issued for a %v run, this is a %v run", [c.type, run_type])
}

problems contains msg if {
	some i, _ in tokens
	c := signed_claims(i)
	run_stack != ""
	c.stack != run_stack
	msg := sprintf("metadata entry %d was issued for stack %v, not for this stack %v: replayed", [i, c.stack, run_stack])
}

problems contains msg if {
	some i, _ in tokens
	c := signed_claims(i)
	not commit_matches(c)
	msg := sprintf("metadata entry %d was issued for commit %v, the run is on commit %v: replayed", [i, c.sha, run_commit])
}

problems contains msg if {
	some i, _ in tokens
	i > 0
	c := signed_claims(i)
	c.type != "CONFIRM"
	msg := sprintf("metadata entry %d is a %v token: only the first entry may trigger the run", [i, c.type])
}

problems contains msg if {
	some i, _ in tokens
	i > 0
	c := signed_claims(i)
	first := signed_claims(0)
	c.iat < first.iat
	msg := sprintf("metadata entry %d was issued before the run's first token: replayed", [i])
}

problems contains msg if {
	some i, a in tokens
	some j, b in tokens
	i < j
	a.claims.jti == b.claims.jti
	msg := sprintf("metadata entries %d and %d carry the same token id %v: replayed", [i, j, a.claims.jti])
}

# ---- END verification core ----

# ---- Decision ----

deny contains msg if {
	some msg in problems
}

deny contains "the run token could not be verified" if {
	not authorized
	count(problems) == 0
}
