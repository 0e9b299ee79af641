package openbanking

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// API operation names used in *Error.Op.
const (
	opToken         = "token"
	opRefresh       = "token_refresh"
	opRevoke        = "revoke"
	opUserMe        = "user_me"
	opAccountList   = "account_list"
	opBalance       = "balance"
	opTransactions  = "transaction_list"
	refreshLifetime = 100 * 24 * time.Hour
)

// StateLength is the length of the authorize state value ("난수값 32자리").
const StateLength = 32

// NewState returns a random 32-character alphanumeric state value for
// AuthorizeURL.
func NewState() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [StateLength]byte
	rand.Read(b[:]) // crypto/rand.Read never fails
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// AuthorizeOptions are the optional parameters of the authorize URL.
type AuthorizeOptions struct {
	// Scope is the space-separated scope; empty means "login inquiry".
	Scope string
	// AuthType is "0" (first authentication, the default) or "2" (skip
	// re-authentication; the browser must then send the Kftc-Bfop headers).
	AuthType string
	// ClientInfo is echoed back unchanged on the callback.
	ClientInfo string
	// Lang is the page language, e.g. "kor".
	Lang string
}

// AuthorizeURL returns the URL of the KFTC consent page (GET /oauth/2.0/authorize)
// to which the account owner's browser is sent. state must be 32 characters
// (see NewState); the callback carries it back for CSRF protection.
func (c *Client) AuthorizeURL(state string, opts AuthorizeOptions) (string, error) {
	if len(state) != StateLength {
		return "", fmt.Errorf("openbanking: authorize: state must be %d characters, got %d", StateLength, len(state))
	}
	if c.cfg.RedirectURI == "" {
		return "", errors.New("openbanking: authorize: redirect uri is not configured")
	}
	if opts.Scope == "" {
		opts.Scope = "login inquiry"
	}
	switch opts.AuthType {
	case "":
		opts.AuthType = "0"
	case "0", "2":
	default:
		return "", fmt.Errorf("openbanking: authorize: auth type %q is not 0 or 2", opts.AuthType)
	}
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {c.cfg.ClientID},
		"redirect_uri":  {c.cfg.RedirectURI},
		"scope":         {opts.Scope},
		"state":         {state},
		"auth_type":     {opts.AuthType},
	}
	if opts.ClientInfo != "" {
		q.Set("client_info", opts.ClientInfo)
	}
	if opts.Lang != "" {
		q.Set("lang", opts.Lang)
	}
	return c.endpoint("/oauth/2.0/authorize") + "?" + q.Encode(), nil
}

// Callback is what the consent page hands back on the redirect URI.
type Callback struct {
	Code       string
	Scope      string
	State      string
	ClientInfo string
}

// ParseCallback reads the query of a request to the redirect URI and checks the
// state against the one that was sent. A refusal (error=access_denied) is an
// *Error whose RspCode is the error value.
func ParseCallback(q url.Values, wantState string) (Callback, error) {
	if q.Get("state") != wantState || wantState == "" {
		return Callback{}, errors.New("openbanking: callback: state does not match")
	}
	if e := q.Get("error"); e != "" {
		return Callback{}, &Error{Op: "authorize", HTTPStatus: http.StatusOK, RspCode: e, RspMessage: q.Get("error_description")}
	}
	cb := Callback{Code: q.Get("code"), Scope: q.Get("scope"), State: q.Get("state"), ClientInfo: q.Get("client_info")}
	if cb.Code == "" {
		return Callback{}, errors.New("openbanking: callback: no code")
	}
	return cb, nil
}

// Token is a user's token pair (사용자 토큰) or an institution token (이용기관
// 토큰). Its String, GoString and LogValue methods never reveal the token
// values, so a Token can be logged or printed safely.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type"`
	Scope        string    `json:"scope"`
	UserSeqNo    string    `json:"user_seq_no,omitempty"`
	ExpiresAt    time.Time `json:"expires_at"`
	// RefreshExpiresAt is when the refresh token expires: 100 days after issue,
	// as observed (the response does not say).
	RefreshExpiresAt time.Time `json:"refresh_expires_at,omitzero"`
	// ClientUseCode is set on institution tokens.
	ClientUseCode string `json:"client_use_code,omitempty"`
}

// String describes the token without its secrets.
func (t Token) String() string {
	return fmt.Sprintf("openbanking.Token{user_seq_no: %s, scope: %q, expires_at: %s}",
		t.UserSeqNo, t.Scope, t.ExpiresAt.Format(time.RFC3339))
}

// GoString is String, so that %#v does not print the secrets either.
func (t Token) GoString() string { return t.String() }

// LogValue implements slog.LogValuer without the secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("user_seq_no", t.UserSeqNo),
		slog.String("scope", t.Scope),
		slog.Time("expires_at", t.ExpiresAt),
	)
}

// Expired reports whether the access token has expired at now.
func (t Token) Expired(now time.Time) bool { return !t.ExpiresAt.After(now) }

// ExchangeCode trades an authorization code from the callback for the user's
// token pair (POST /oauth/2.0/token, grant_type=authorization_code).
func (c *Client) ExchangeCode(ctx context.Context, code string) (Token, error) {
	if code == "" {
		return Token{}, &Error{Op: opToken, Err: errors.New("code is empty")}
	}
	return c.tokenRequest(ctx, opToken, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
		"redirect_uri":  {c.cfg.RedirectURI},
	})
}

// Refresh trades a refresh token for a new token pair (POST /oauth/2.0/token,
// grant_type=refresh_token). The service rotates the refresh token: the old one
// stops working, so the caller must persist the returned pair before using it.
// An answer without a refresh token (no rotation) keeps the old one.
// scope is the token's scope, e.g. "inquiry login". A refusal classifies as
// ClassRelink.
func (c *Client) Refresh(ctx context.Context, refreshToken, scope string) (Token, error) {
	if refreshToken == "" {
		return Token{}, &Error{Op: opRefresh, Err: errors.New("no refresh token")}
	}
	if scope == "" {
		scope = "login inquiry"
	}
	t, err := c.tokenRequest(ctx, opRefresh, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
		"scope":         {scope},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
	})
	if err == nil && t.RefreshToken == "" {
		// A service that does not rotate leaves the old refresh token in
		// force; its expiry is then unknown here.
		t.RefreshToken, t.RefreshExpiresAt = refreshToken, time.Time{}
	}
	return t, err
}

// ClientCredentials obtains an institution token (POST /oauth/2.0/token,
// grant_type=client_credentials, scope=oob).
func (c *Client) ClientCredentials(ctx context.Context) (Token, error) {
	return c.tokenRequest(ctx, opToken, url.Values{
		"grant_type":    {"client_credentials"},
		"scope":         {"oob"},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
	})
}

// Revoke revokes an access token and its refresh token (POST /oauth/2.0/revoke).
// The contract names no success code for revoke: both A0000 and the OAuth
// layer's O0000 count as success.
func (c *Client) Revoke(ctx context.Context, accessToken string) error {
	o, err := c.postForm(ctx, opRevoke, "/oauth/2.0/revoke", url.Values{
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
		"access_token":  {accessToken},
	})
	if err != nil {
		return err
	}
	h, err := o.header()
	if err != nil {
		return &Error{Op: opRevoke, HTTPStatus: http.StatusOK, Err: err}
	}
	if h.RspCode == CodeOAuthOK {
		return nil
	}
	return checkRsp(opRevoke, h, false)
}

func (c *Client) postForm(ctx context.Context, op, path string, form url.Values) (object, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(path), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Op: op, Err: stripURL(err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	return c.send(ctx, op, req)
}

// tokenRequest posts to the token endpoint.
func (c *Client) tokenRequest(ctx context.Context, op string, form url.Values) (Token, error) {
	issued := c.now()
	o, err := c.postForm(ctx, op, "/oauth/2.0/token", form)
	if err != nil {
		return Token{}, err
	}
	return decodeToken(op, o, issued)
}

// decodeToken reads a token endpoint answer. Success is the presence of
// access_token: a token response carries no A0000. issued is when the request
// was sent; expiry is counted from it.
func decodeToken(op string, o object, issued time.Time) (Token, error) {
	var t Token
	var expiresIn string
	if err := o.strs(
		textField{"access_token", &t.AccessToken},
		textField{"refresh_token", &t.RefreshToken},
		textField{"token_type", &t.TokenType},
		textField{"scope", &t.Scope},
		textField{"user_seq_no", &t.UserSeqNo},
		textField{"client_use_code", &t.ClientUseCode},
		textField{"expires_in", &expiresIn},
	); err != nil {
		return Token{}, &Error{Op: op, HTTPStatus: http.StatusOK, Err: err}
	}
	if t.AccessToken == "" {
		h, err := o.header()
		if err != nil {
			return Token{}, &Error{Op: op, HTTPStatus: http.StatusOK, Err: err}
		}
		if h.RspCode == "" {
			return Token{}, &Error{Op: op, HTTPStatus: http.StatusOK, Err: errors.New("response has neither access_token nor rsp_code")}
		}
		return Token{}, &Error{Op: op, HTTPStatus: http.StatusOK, RspCode: h.RspCode, RspMessage: h.RspMessage}
	}
	secs, err := strconv.ParseInt(strings.TrimSpace(expiresIn), 10, 64)
	if err != nil || secs <= 0 || secs > maxExpiresIn {
		return Token{}, &Error{Op: op, HTTPStatus: http.StatusOK, Err: fmt.Errorf("field expires_in: %q is not a plausible number of seconds", expiresIn)}
	}
	t.ExpiresAt = issued.Add(time.Duration(secs) * time.Second)
	if t.RefreshToken != "" {
		t.RefreshExpiresAt = issued.Add(refreshLifetime)
	}
	return t, nil
}

// maxExpiresIn bounds expires_in to ten years, far above the 90 days KFTC
// issues, so that the expiry time cannot overflow.
const maxExpiresIn = 10 * 365 * 24 * 60 * 60
