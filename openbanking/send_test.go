package openbanking

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSendTransportFailures checks how send reports a request that got no
// answer: a connection that broke under the request is a lost connection
// (transient, retried with a new bank_tran_id), while failures before any
// connection and the caller's own cancellation keep their classes.
func TestSendTransportFailures(t *testing.T) {
	drop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		conn.Close()
	})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	tests := []struct {
		name     string
		handler  http.Handler
		closed   bool // the server is gone before the call
		cancel   bool // the caller's context is cancelled before the call
		wantLost bool
		want     Class
	}{
		{"DroppedUnderRequest", drop, false, false, true, ClassTransient},
		{"ConnectionRefused", drop, true, false, false, ClassTransient},
		{"AttemptTimeout", slow, false, false, false, ClassTransient},
		{"CallerCancelled", drop, false, true, false, ClassPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c, err := New(Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret",
				HTTPClient: srv.Client(), Timeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if tt.closed {
				srv.Close()
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint("/v2.0/account/balance/fin_num"), nil)
			if err != nil {
				t.Fatal(err)
			}
			forbidResend(req)
			_, err = c.send(ctx, opBalance, req)
			if err == nil {
				t.Fatal("send succeeded, want an error")
			}
			if _, lost := errors.AsType[*connLostError](err); lost != tt.wantLost {
				t.Errorf("lost connection = %v, want %v (%v)", lost, tt.wantLost, err)
			}
			if got := Classify(err); got != tt.want {
				t.Errorf("class = %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}
