package emulator

import (
	"testing"
	"time"
)

func TestScheduledRunsTasksAndDeletes(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Scheduled", nil)

	const runCreate = `mutation($s: ID!, $in: ScheduledRunInput!) { stackScheduledRunCreate(stack: $s, input: $in) { id name cronSchedule timezone nextSchedule customRuntimeConfig { environment { key value } } } }`
	c.fails(runCreate, map[string]any{"s": id, "in": map[string]any{"name": "never", "cronSchedule": []string{"0 3 30 2 *"}}}, "never fires")
	c.fails(runCreate, map[string]any{"s": id, "in": map[string]any{"name": "past", "timestampSchedule": testEpoch.Add(-time.Hour).Unix()}}, "not in the future")
	c.fails(runCreate, map[string]any{"s": id, "in": map[string]any{"name": "both", "cronSchedule": []string{"0 * * * *"}, "timestampSchedule": testEpoch.Add(time.Hour).Unix()}}, "not both")
	var run struct {
		StackScheduledRunCreate struct {
			ID                  string
			NextSchedule        int64
			Timezone            string
			CustomRuntimeConfig struct {
				Environment []struct{ Key, Value string }
			}
		}
	}
	c.ok(runCreate, map[string]any{"s": id, "in": map[string]any{"name": "hourly", "cronSchedule": []string{"0 * * * *"},
		"runtimeConfig": map[string]any{"environment": []any{map[string]any{"key": "K", "value": "v"}}}}}, &run)
	got := run.StackScheduledRunCreate
	if got.NextSchedule != testEpoch.Add(time.Hour).Unix() || got.Timezone != "UTC" || len(got.CustomRuntimeConfig.Environment) != 1 {
		t.Fatalf("scheduled run %+v", got)
	}

	const taskCreate = `mutation($s: ID!, $in: ScheduledTaskInput!) { stackScheduledTaskCreate(stack: $s, input: $in) { id command nextSchedule } }`
	var task struct{ StackScheduledTaskCreate struct{ ID string } }
	c.ok(taskCreate, map[string]any{"s": id, "in": map[string]any{"command": "tofu state list", "timestampSchedule": testEpoch.Add(30 * time.Minute).Unix()}}, &task)

	h.Advance(61 * time.Minute)
	c.token = h.Token()
	var tracked, tasks int
	for _, r := range h.Runs(id) {
		switch r.Type {
		case "TRACKED":
			tracked++
		case "TASK":
			tasks++
		}
	}
	if tracked != 1 || tasks != 1 {
		t.Fatalf("%d tracked runs and %d tasks after an hour, want one of each", tracked, tasks)
	}
	var read struct {
		Stack struct {
			ScheduledTask *struct{ ID string }
			ScheduledRun  *struct{ NextSchedule int64 }
		}
	}
	c.ok(`query($s: ID!, $r: ID!, $t: ID!) { stack(id: $s) { scheduledRun(id: $r) { nextSchedule } scheduledTask(id: $t) { id } } }`,
		map[string]any{"s": id, "r": run.StackScheduledRunCreate.ID, "t": task.StackScheduledTaskCreate.ID}, &read)
	if read.Stack.ScheduledTask != nil {
		t.Error("a one-off scheduled task is still there after it fired")
	}
	if read.Stack.ScheduledRun == nil || read.Stack.ScheduledRun.NextSchedule != testEpoch.Add(2*time.Hour).Unix() {
		t.Errorf("the hourly run's next time: %+v", read.Stack.ScheduledRun)
	}

	c.ok(`mutation($s: ID!, $r: ID!) { stackScheduledRunDelete(stack: $s, scheduledRun: $r) { id } }`, map[string]any{"s": id, "r": run.StackScheduledRunCreate.ID}, nil)
	const deleteCreate = `mutation($s: ID!, $in: ScheduledDeleteInput!) { stackScheduledDeleteCreate(stack: $s, input: $in) { id shouldDeleteResources timestampSchedule } }`
	c.fails(deleteCreate, map[string]any{"s": id, "in": map[string]any{"shouldDeleteResources": false}}, "scheduled once, at a time")
	// The tracked run from the schedule holds the stack; discard it so the
	// deletion can go ahead.
	c.ok(`mutation($s: ID!) { runDiscardAll(stack: $s) { failedDiscarding } }`, map[string]any{"s": id}, nil)
	h.Advance(10 * time.Second)
	c.ok(deleteCreate, map[string]any{"s": id, "in": map[string]any{"shouldDeleteResources": false, "timestampSchedule": h.Now().Add(time.Minute).Unix()}}, nil)
	h.Advance(2 * time.Minute)
	var gone struct{ Stack *struct{ ID string } }
	c.ok(`query($s: ID!) { stack(id: $s) { id } }`, map[string]any{"s": id}, &gone)
	if gone.Stack != nil {
		t.Fatal("the stack outlived its scheduled deletion")
	}
}
