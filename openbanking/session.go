package openbanking

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// TokenSaver persists a user's token pair. Session calls SaveToken with every
// refreshed pair before it uses the new access token: the service has already
// invalidated the old refresh token, so a pair that is not saved is lost.
type TokenSaver interface {
	SaveToken(ctx context.Context, t Token) error
}

// refreshMargin is how long before its expiry a session refreshes the access
// token, so that a call never starts with a token about to lapse.
const refreshMargin = 24 * time.Hour

// Session makes inquiry calls on behalf of one linked user and keeps the user's
// token fresh: it refreshes ahead of expiry and once more when the service says
// the token expired (O0003), persisting each new pair through a TokenSaver
// before using it. Concurrent calls share one refresh. It is safe for concurrent
// use.
type Session struct {
	client *Client
	saver  TokenSaver

	mu  sync.Mutex
	tok Token
}

// NewSession returns a session for tok. saver may be nil only if the caller
// persists the token some other way (Token returns the current pair).
func (c *Client) NewSession(tok Token, saver TokenSaver) *Session {
	return &Session{client: c, saver: saver, tok: tok}
}

// Token returns the session's current token pair.
func (s *Session) Token() Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok
}

// current returns the access token to use, refreshing first when it expires
// within the refresh margin.
func (s *Session) current(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.ExpiresAt.IsZero() || s.client.now().Add(refreshMargin).Before(s.tok.ExpiresAt) {
		return s.tok.AccessToken, nil
	}
	if err := s.refreshLocked(ctx); err != nil {
		return "", err
	}
	return s.tok.AccessToken, nil
}

// RefreshWithin refreshes the token pair now when the access token expires
// within margin, persisting the new pair like any refresh, and reports whether
// it did. A long-running poller calls it with a margin of weeks so that the
// refresh token, which lives only 10 days longer than the access token, never
// comes near its own expiry while the service works.
func (s *Session) RefreshWithin(ctx context.Context, margin time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.ExpiresAt.IsZero() || s.client.now().Add(max(margin, refreshMargin)).Before(s.tok.ExpiresAt) {
		return false, nil
	}
	if err := s.refreshLocked(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// refreshAfter refreshes the token pair unless another call already replaced
// the access token stale (the one the service rejected).
func (s *Session) refreshAfter(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.AccessToken != stale {
		return s.tok.AccessToken, nil
	}
	if err := s.refreshLocked(ctx); err != nil {
		return "", err
	}
	return s.tok.AccessToken, nil
}

func (s *Session) refreshLocked(ctx context.Context) error {
	t, err := s.client.Refresh(ctx, s.tok.RefreshToken, s.tok.Scope)
	if err != nil {
		return err
	}
	if t.UserSeqNo == "" {
		t.UserSeqNo = s.tok.UserSeqNo
	}
	if s.saver != nil {
		if err := s.saver.SaveToken(ctx, t); err != nil {
			// The old refresh token is already dead; keep the new pair in
			// memory so this process can go on, and report the failure.
			s.tok = t
			return fmt.Errorf("openbanking: save refreshed token: %w", err)
		}
	}
	s.tok = t
	return nil
}

// do runs call with a fresh access token, refreshing and retrying once when the
// service answers O0003.
func (s *Session) do(ctx context.Context, call func(access string) error) error {
	access, err := s.current(ctx)
	if err != nil {
		return err
	}
	err = call(access)
	if e, ok := errors.AsType[*Error](err); !ok || e.Class() != ClassTokenExpired {
		return err
	}
	if access, err = s.refreshAfter(ctx, access); err != nil {
		return err
	}
	return call(access)
}

// UserMe is Client.UserMe with the session's token.
func (s *Session) UserMe(ctx context.Context) (UserInfo, error) {
	var info UserInfo
	err := s.do(ctx, func(access string) (err error) {
		info, err = s.client.UserMe(ctx, access, s.Token().UserSeqNo)
		return err
	})
	return info, err
}

// AccountList is Client.AccountList with the session's token.
func (s *Session) AccountList(ctx context.Context, opts AccountListOptions) (AccountList, error) {
	var list AccountList
	err := s.do(ctx, func(access string) (err error) {
		list, err = s.client.AccountList(ctx, access, s.Token().UserSeqNo, opts)
		return err
	})
	return list, err
}

// Balance is Client.Balance with the session's token.
func (s *Session) Balance(ctx context.Context, fintechUseNum string) (Balance, error) {
	var b Balance
	err := s.do(ctx, func(access string) (err error) {
		b, err = s.client.Balance(ctx, access, fintechUseNum)
		return err
	})
	return b, err
}

// TransactionPage is Client.TransactionPage with the session's token.
func (s *Session) TransactionPage(ctx context.Context, q TransactionQuery, trace string) (TransactionPage, error) {
	var p TransactionPage
	err := s.do(ctx, func(access string) (err error) {
		p, err = s.client.TransactionPage(ctx, access, q, trace)
		return err
	})
	return p, err
}

// Transactions is Client.Transactions with the session's token. A token that
// expires between pages is refreshed and the query continues from the same
// page.
func (s *Session) Transactions(ctx context.Context, q TransactionQuery) (TransactionList, error) {
	return collectPages(q.MaxPages, func(trace string) (TransactionPage, error) {
		return s.TransactionPage(ctx, q, trace)
	})
}
