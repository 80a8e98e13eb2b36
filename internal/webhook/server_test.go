package webhook

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"
)

var (
	_ manager.Runnable               = (*Server)(nil)
	_ manager.LeaderElectionRunnable = (*Server)(nil)
)

func TestServerServesUntilContextEnds(t *testing.T) {
	h := newHarness(t)
	srv := Runnable("127.0.0.1:0", h.rec.Handler())
	if srv.NeedLeaderElection() {
		t.Error("webhook server waits for leader election")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("Start: %v", err)
	}
	base := "http://" + srv.ListenAddr().String()

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %d", resp.StatusCode)
	}
	body := runEvent("demo", "run1", "FINISHED", 4, epoch)
	req, _ := http.NewRequest(http.MethodPost, base+Path, strings.NewReader(body))
	req.Header = signedBy(testSecret, body)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("POST %s = %d", Path, resp.StatusCode)
	}

	if err := srv.Start(ctx); err == nil {
		t.Error("second Start succeeded")
	}
	busy := Runnable(srv.ListenAddr().String(), h.rec.Handler())
	if err := busy.Start(ctx); err == nil || !strings.Contains(err.Error(), "listening for Spacelift webhooks") {
		t.Errorf("Start on a busy address: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after its context ended")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}
