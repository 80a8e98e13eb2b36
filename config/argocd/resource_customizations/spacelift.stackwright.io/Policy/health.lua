-- Argo CD health check for spacelift.stackwright.io/Policy.
--
-- Laid out as Argo CD's built-in checks are (resource_customizations/<group>/
-- <kind>/health.lua, tested by health_test.yaml), and also installed under the
-- argocd-cm key resource.customizations.health.spacelift.stackwright.io_Policy
-- (config/argocd/README.md). Argo CD runs built-in checks with Lua's standard
-- libraries but argocd-cm checks without string, math and io, so it uses only
-- the base library and the .. operator.
-- Policies have no Drifted condition; otherwise this is Stack/health.lua.

local function find(conditions, type)
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- text is the message of c, or its reason, or fallback.
local function text(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

-- cause is "Reason: message" for conditions that need a person.
local function cause(c, fallback)
  if c ~= nil and c.reason ~= nil and c.reason ~= "" and c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return text(c, fallback)
end

local function health(status, message)
  return { status = status, message = message }
end

local conditions = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  conditions = obj.status.conditions
end
local ready = find(conditions, "Ready")
local reconciling = find(conditions, "Reconciling")
local stalled = find(conditions, "Stalled")

if obj.metadata.deletionTimestamp ~= nil then
  local blocked = find(conditions, "DeletionBlocked")
  if isTrue(blocked) then
    return health("Progressing", "Deletion blocked: " .. cause(blocked, "see the DeletionBlocked condition"))
  end
  return health("Progressing", "Deleting: " .. text(reconciling, "waiting for the operator"))
end

if obj.status == nil or #conditions == 0 then
  return health("Progressing", "Waiting for status")
end

local generation = obj.metadata.generation
local observed = obj.status.observedGeneration or 0
if generation ~= nil and observed < generation then
  return health("Progressing", "Waiting for the operator to observe generation " .. generation ..
    " (status describes generation " .. observed .. ")")
end

if obj.spec ~= nil and obj.spec.suspend == true then
  if ready ~= nil and ready.reason == "Suspended" then
    return health("Suspended", text(ready, "spec.suspend is true"))
  end
  return health("Suspended", "spec.suspend is true")
end

if isTrue(stalled) then
  return health("Degraded", cause(stalled, "Stalled"))
end

if isTrue(ready) then
  return health("Healthy", text(ready, "Ready"))
end

if isTrue(reconciling) then
  return health("Progressing", text(reconciling, text(ready, "Reconciling")))
end

return health("Progressing", text(ready, "Waiting for the Ready condition"))
