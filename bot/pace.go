package bot

import (
	"context"
	"fmt"
	"time"
)

// WaitPaced is the end of an adapter's pacing: its pacer reserved at (from
// now) for a message to what, and said whether that is within the
// adapter's longest wait. Within it, WaitPaced waits until at (or ctx
// ends); beyond it, it returns a *RetryAfterError at once, so that the
// dispatcher tries again later instead of holding the chat. prefix starts
// the errors ("telegram: send").
func WaitPaced(ctx context.Context, now, at time.Time, within bool, prefix, what string) error {
	wait := at.Sub(now)
	if !within {
		return &RetryAfterError{After: wait, Err: fmt.Errorf("%s: %s paced for %v", prefix, what, wait.Round(time.Millisecond))}
	}
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%s: waiting for the rate limits: %w", prefix, ctx.Err())
	case <-t.C:
		return nil
	}
}
