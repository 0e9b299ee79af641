package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Consent plays the account owner on the consent page without a browser, for
// scripts and tests: it submits the page's documented form for authorizeURL (a
// URL the client built for GET /oauth/2.0/authorize) as the user userSeqNo,
// registering the accounts accountIDs (Account.ID values) when agree is true or
// cancelling when it is false, and returns the redirect the simulator answers
// with (the client's callback URL with code or error). The redirect is not
// followed. hc nil means http.DefaultClient's transport. Consent sends no
// Kftc-Bfop-* values, so an authorizeURL with auth_type=2 is answered with
// error=invalid_request.
func Consent(ctx context.Context, hc *http.Client, authorizeURL, userSeqNo string, accountIDs []string, agree bool) (*url.URL, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return nil, fmt.Errorf("testbed: consent: %w", err)
	}
	form := u.Query()
	form.Set("user_seq_no", userSeqNo)
	for _, id := range accountIDs {
		form.Add("account", id)
	}
	form.Set("consent", "cancel")
	if agree {
		form.Set("consent", "agree")
	}
	post := *u
	post.RawQuery = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, post.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("testbed: consent: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noFollow := http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if hc != nil {
		noFollow.Transport = hc.Transport
		noFollow.Timeout = hc.Timeout
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		return nil, fmt.Errorf("testbed: consent: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return nil, fmt.Errorf("testbed: consent: http status %d: %s", resp.StatusCode, firstText(body))
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, errors.Join(errors.New("testbed: consent: redirect without location"), err)
	}
	return loc, nil
}

// firstText returns a short plain-text excerpt of an HTML or JSON body for an
// error message.
func firstText(body []byte) string {
	var b strings.Builder
	inTag := false
	for _, r := range string(body) {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
