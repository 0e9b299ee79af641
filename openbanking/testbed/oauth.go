package testbed

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

//go:embed authorize.html
var templateFS embed.FS

// pages holds the parsed HTML template; it is never modified after init.
var pages = template.Must(template.ParseFS(templateFS, "authorize.html"))

// codeLifetime is how long an authorization code may be exchanged.
const codeLifetime = 10 * time.Minute

// maxFormBytes bounds the body of the form endpoints.
const maxFormBytes = 64 << 10

// authCode is an issued authorization code.
type authCode struct {
	clientID    string
	redirectURI string
	userSeqNo   string
	scopes      []string
	expires     time.Time
	used        bool
}

// authorizeParams are the parameters of GET /oauth/2.0/authorize; each may
// appear at most once.
var authorizeParams = []string{
	"response_type", "client_id", "redirect_uri", "scope", "state", "auth_type",
	"client_info", "cellphone_cert_yn", "authorized_cert_yn", "account_hold_auth_yn", "lang",
}

// scopeLabels describes the scopes on the consent page.
var scopeLabels = map[string]string{
	"login":    "사용자 정보 및 등록 계좌 목록 조회",
	"inquiry":  "잔액 및 거래내역 조회",
	"transfer": "출금이체",
}

// single returns the value of key in v. It reports dup when the key
// appears more than once; an absent key and an empty value both give "".
func single(v url.Values, key string) (val string, dup bool) {
	vals := v[key]
	if len(vals) > 1 {
		return "", true
	}
	if len(vals) == 1 {
		return vals[0], false
	}
	return "", false
}

// bfopHeaders are the headers that identify an already authenticated user
// with auth_type=2, in the order checked. The consent page carries their
// values as hidden form fields of the same names, because a browser's form
// POST cannot send headers.
var bfopHeaders = []string{"Kftc-Bfop-UserSeqNo", "Kftc-Bfop-UserCI", "Kftc-Bfop-AccessToken"}

// authzRequest is a validated authorization request.
type authzRequest struct {
	inst        *Institution
	redirectURI string
	scopes      []string
	state       string
	clientInfo  string
	params      url.Values
	// bfop holds the Kftc-Bfop-* values of an auth_type=2 request, by
	// header name, and bfopUser the user they identify.
	bfop     map[string]string
	bfopUser string
}

// authzError is a failed authorization request. With redirect set the
// redirect_uri is trustworthy and the error goes back to the client;
// otherwise it is answered like every KFTC error, as HTTP 200 JSON.
type authzError struct {
	rspCode  string // "" means O0001 with detail
	detail   string
	reason   string
	redirect bool
	oauthErr string // the OAuth error code when redirected
}

// answer returns the error's rsp_code and rsp_message.
func (e *authzError) answer() (code, msg string) {
	if e.rspCode == "" {
		return "O0001", oauthMessage(e.detail)
	}
	return e.rspCode, rspMessage(e.rspCode)
}

// validateAuthorize checks the authorization parameters in v and, for
// auth_type=2, the Kftc-Bfop-* values in h (or, when form is set, in the
// consent form v). The caller holds s.mu.
func (s *Server) validateAuthorize(v url.Values, h http.Header, form bool) (*authzRequest, *authzError) {
	reject := func(detail, reason string) (*authzRequest, *authzError) {
		return nil, &authzError{detail: detail, reason: reason}
	}
	// Until client_id and redirect_uri check out, no redirect is trusted.
	for _, k := range []string{"client_id", "redirect_uri"} {
		if _, dup := single(v, k); dup {
			return reject(detailBadParameter, k+" 파라미터가 중복되었습니다")
		}
	}
	cid, _ := single(v, "client_id")
	if cid == "" {
		return reject(detailBadParameter, "client_id가 없습니다")
	}
	inst := s.st.institutions[cid]
	if inst == nil {
		return reject(detailClient, "등록되지 않은 client_id입니다")
	}
	ru, _ := single(v, "redirect_uri")
	if ru == "" {
		return reject(detailBadParameter, "redirect_uri가 없습니다")
	}
	if !slices.Contains(inst.RedirectURIs, ru) {
		return reject(detailRedirectURI, "등록되지 않은 redirect_uri입니다")
	}

	// Every later error goes back to the redirect_uri (§2.2).
	req := &authzRequest{inst: inst, redirectURI: ru, params: v}
	req.state, _ = single(v, "state") // "" when repeated: no state to trust
	req.clientInfo, _ = single(v, "client_info")
	back := func(detail, oauthErr, reason string) (*authzRequest, *authzError) {
		return req, &authzError{detail: detail, reason: reason, redirect: true, oauthErr: oauthErr}
	}
	for _, k := range authorizeParams {
		if _, dup := single(v, k); dup {
			return back(detailBadParameter, "invalid_request", k+" 파라미터가 중복되었습니다")
		}
	}
	switch rt, _ := single(v, "response_type"); rt {
	case "":
		return back(detailBadParameter, "invalid_request", "response_type이 없습니다")
	case "code":
	default:
		return back(detailResponseType, "unsupported_response_type", "지원하지 않는 response_type입니다")
	}
	scope, _ := single(v, "scope")
	req.scopes = normalizeScopes(scope)
	if len(req.scopes) == 0 {
		return back(detailBadParameter, "invalid_request", "scope가 없습니다")
	}
	for _, sc := range req.scopes {
		if !slices.Contains(inst.Scopes, sc) {
			return back(detailScope, "invalid_scope", "등록되지 않은 scope입니다: "+sc)
		}
	}
	if utf8.RuneCountInString(req.state) != 32 {
		return back(detailBadParameter, "invalid_request", "state는 32자리여야 합니다")
	}
	at, _ := single(v, "auth_type")
	if at != "0" && at != "2" {
		return back(detailBadParameter, "invalid_request", "auth_type은 0 또는 2여야 합니다")
	}
	for _, k := range []string{"cellphone_cert_yn", "authorized_cert_yn", "account_hold_auth_yn"} {
		if yn, _ := single(v, k); yn != "" && yn != "Y" && yn != "N" {
			return back(detailBadParameter, "invalid_request", k+"는 Y 또는 N이어야 합니다")
		}
	}
	if at == "2" {
		if !form {
			v = nil
		}
		if aerr := s.checkBfop(req, v, h); aerr != nil {
			return req, aerr
		}
	}
	return req, nil
}

// checkBfop checks the Kftc-Bfop-* values of an auth_type=2 request: all
// three are required (3000103), and they must name a user of the
// institution whose access token is live and whose CI matches. A token that
// is not is answered with its own code (O0002, O0003); a user or CI that
// does not match the token is 3000103. The values are read from h, or else
// from form, the consent form's fields of the same names (nil on GET). The
// caller holds s.mu.
func (s *Server) checkBfop(req *authzRequest, form url.Values, h http.Header) *authzError {
	bad := func(rspCode, detail, reason string) *authzError {
		return &authzError{rspCode: rspCode, detail: detail, reason: reason, redirect: true, oauthErr: "invalid_request"}
	}
	req.bfop = make(map[string]string, len(bfopHeaders))
	for _, name := range bfopHeaders {
		vals := h.Values(name)
		if len(vals) == 0 {
			vals = form[name]
		}
		if len(vals) != 1 || strings.TrimSpace(vals[0]) == "" {
			return bad("", detailBadParameter, "auth_type=2에는 "+name+" 헤더가 하나 필요합니다")
		}
		req.bfop[name] = strings.TrimSpace(vals[0])
	}
	rec, code := s.checkAccess(req.bfop["Kftc-Bfop-AccessToken"], s.clock.Now())
	if code != "" {
		return bad(code, "", "Kftc-Bfop-AccessToken")
	}
	seq := req.bfop["Kftc-Bfop-UserSeqNo"]
	u := s.st.users[seq]
	switch {
	case rec.clientID != req.inst.ClientID || rec.userSeqNo == "":
		return bad("O0002", "", "Kftc-Bfop-AccessToken이 이 이용기관의 사용자 토큰이 아닙니다")
	case u == nil || rec.userSeqNo != seq:
		return bad("", detailBadParameter, "Kftc-Bfop-UserSeqNo가 토큰의 사용자가 아닙니다")
	case subtle.ConstantTimeCompare([]byte(req.bfop["Kftc-Bfop-UserCI"]), []byte(u.CI)) != 1:
		return bad("", detailBadParameter, "Kftc-Bfop-UserCI가 사용자의 CI가 아닙니다")
	}
	req.bfopUser = seq
	return nil
}

// handleAuthorize serves GET (the consent page) and POST (the consent
// form) of /oauth/2.0/authorize.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.countAPI(APIAuthorize)
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeJSON(w, http.StatusOK, rspObject("O0010", rspMessage("O0010")))
		return
	}
	var (
		v   url.Values
		err error
	)
	if r.Method == http.MethodGet {
		v, err = url.ParseQuery(r.URL.RawQuery)
	} else {
		v, err = readForm(w, r)
	}
	if applyFault(w, r, s.oauthFault(APIAuthorize, v), oauthFaultBody) {
		return
	}
	if err != nil {
		writeJSON(w, http.StatusOK, rspObject("O0001", oauthMessage(detailBadParameter)))
		return
	}
	if r.Method == http.MethodGet {
		s.authorizePage(w, r, v)
	} else {
		s.authorizeConsent(w, r, v)
	}
}

type scopeView struct{ Name, Label string }

type hiddenField struct{ Name, Value string }

type accountView struct {
	ID, BankName, Masked, Alias string
	Checked                     bool
}

type userView struct {
	SeqNo, Name string
	Selected    bool
	Accounts    []accountView
}

type consentPage struct {
	InstitutionName string
	Scopes          []scopeView
	Hidden          []hiddenField
	Users           []userView
	MultipleUsers   bool
}

// authorizePage renders the consent page or the validation error.
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request, v url.Values) {
	s.mu.Lock()
	req, aerr := s.validateAuthorize(v, r.Header, false)
	if aerr != nil {
		s.mu.Unlock()
		s.authorizeFailed(w, r, req, aerr)
		return
	}
	data := consentPage{InstitutionName: req.inst.Name}
	for _, sc := range req.scopes {
		data.Scopes = append(data.Scopes, scopeView{Name: sc, Label: scopeLabels[sc]})
	}
	for _, k := range authorizeParams {
		if val, _ := single(v, k); val != "" {
			data.Hidden = append(data.Hidden, hiddenField{Name: k, Value: val})
		}
	}
	for _, name := range bfopHeaders {
		if val, ok := req.bfop[name]; ok {
			data.Hidden = append(data.Hidden, hiddenField{Name: name, Value: val})
		}
	}
	users := s.st.userOrder
	if req.bfopUser != "" {
		// auth_type=2: the user is already known.
		users = []string{req.bfopUser}
	}
	for i, seq := range users {
		u := s.st.users[seq]
		uv := userView{SeqNo: u.UserSeqNo, Name: u.Name, Selected: i == 0}
		for _, id := range s.st.accountOrder {
			a := s.st.accounts[id]
			if a.UserSeqNo != u.UserSeqNo {
				continue
			}
			uv.Accounts = append(uv.Accounts, accountView{
				ID: a.ID, BankName: a.BankName, Masked: maskAccountNum(a.AccountNum), Alias: a.Alias,
				Checked: i == 0, // the default-selected user's accounts
			})
		}
		data.Users = append(data.Users, uv)
	}
	data.MultipleUsers = len(data.Users) > 1
	s.mu.Unlock()
	renderHTML(w, http.StatusOK, "authorize.html", data)
}

// authorizeConsent handles the consent form POST.
func (s *Server) authorizeConsent(w http.ResponseWriter, r *http.Request, v url.Values) {
	s.mu.Lock()
	answer := s.decideConsent(r, v)
	s.mu.Unlock()
	answer(w)
}

// decideConsent applies the consent form and returns the answer to write
// once s.mu is released. The caller holds s.mu.
func (s *Server) decideConsent(r *http.Request, v url.Values) func(http.ResponseWriter) {
	req, aerr := s.validateAuthorize(v, r.Header, true)
	if aerr != nil {
		return func(w http.ResponseWriter) { s.authorizeFailed(w, r, req, aerr) }
	}
	// A bad consent form fails after the redirect_uri is validated, so it
	// goes back to the client as invalid_request (§2.2).
	badForm := func(reason string) func(http.ResponseWriter) {
		aerr := &authzError{detail: detailBadParameter, reason: reason, redirect: true, oauthErr: "invalid_request"}
		return func(w http.ResponseWriter) { s.authorizeFailed(w, r, req, aerr) }
	}
	denied := func(desc string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) { s.redirectDenied(w, r, req, desc) }
	}
	consent, dup := single(v, "consent")
	if dup || (consent != "agree" && consent != "cancel") {
		return badForm("consent는 agree 또는 cancel이어야 합니다")
	}
	if consent == "cancel" {
		return denied("사용자가 동의를 취소했습니다")
	}
	seq, dup := single(v, "user_seq_no")
	u := s.st.users[seq]
	if dup || u == nil {
		return badForm("user_seq_no가 없거나 등록되지 않은 사용자입니다")
	}
	if req.bfopUser != "" && seq != req.bfopUser {
		return badForm("auth_type=2의 사용자는 Kftc-Bfop-UserSeqNo의 사용자입니다")
	}
	var chosen []*account
	for _, id := range v["account"] {
		a := s.st.accounts[id]
		if a == nil || a.UserSeqNo != u.UserSeqNo {
			return badForm("사용자의 계좌가 아닙니다: " + id)
		}
		if !slices.Contains(chosen, a) {
			chosen = append(chosen, a)
		}
	}
	if len(chosen) == 0 {
		return denied("선택한 계좌가 없습니다")
	}
	now := s.clock.Now()
	transfer := slices.Contains(req.scopes, "transfer")
	for _, a := range chosen {
		s.st.register(a, req.inst, transfer, now)
	}
	// Forget spent codes: an unknown code answers 3002110 like a used one.
	for c, ac := range s.st.codes {
		if ac.used || !now.Before(ac.expires) {
			delete(s.st.codes, c)
		}
	}
	code := randomString(30, alnumMixed)
	s.st.codes[code] = &authCode{
		clientID:    req.inst.ClientID,
		redirectURI: req.redirectURI,
		userSeqNo:   u.UserSeqNo,
		scopes:      req.scopes,
		expires:     now.Add(codeLifetime),
	}
	q := url.Values{}
	q.Set("code", code)
	q.Set("scope", strings.Join(req.scopes, " "))
	if req.clientInfo != "" {
		q.Set("client_info", req.clientInfo)
	}
	q.Set("state", req.state)
	location := withQuery(req.redirectURI, q)
	return func(w http.ResponseWriter) { http.Redirect(w, r, location, http.StatusFound) }
}

// authorizeFailed answers a failed validation: back to the client when the
// redirect_uri is trustworthy, else HTTP 200 JSON with rsp_code and
// rsp_message like every other KFTC error (§1).
func (s *Server) authorizeFailed(w http.ResponseWriter, r *http.Request, req *authzRequest, aerr *authzError) {
	code, msg := aerr.answer()
	if !aerr.redirect {
		writeJSON(w, http.StatusOK, rspObject(code, msg))
		return
	}
	q := url.Values{}
	q.Set("error", aerr.oauthErr)
	q.Set("error_description", code+" "+msg+" "+aerr.reason)
	q.Set("state", req.state)
	http.Redirect(w, r, withQuery(req.redirectURI, q), http.StatusFound)
}

func (s *Server) redirectDenied(w http.ResponseWriter, r *http.Request, req *authzRequest, desc string) {
	q := url.Values{}
	q.Set("error", "access_denied")
	q.Set("error_description", desc)
	q.Set("state", req.state)
	http.Redirect(w, r, withQuery(req.redirectURI, q), http.StatusFound)
}

// withQuery adds q to the (registered, hence parseable) URI.
func withQuery(uri string, q url.Values) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	merged := u.Query()
	for k, vs := range q {
		merged[k] = vs
	}
	u.RawQuery = merged.Encode()
	return u.String()
}

func renderHTML(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

var errNotForm = errors.New("content type is not application/x-www-form-urlencoded")

// readForm reads an application/x-www-form-urlencoded body. Parameters in
// the URL's query string are ignored, as the token endpoint requires a
// form body.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return url.Values{}, errNotForm
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		return url.Values{}, err
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return url.Values{}, err
	}
	return v, nil
}

// tokenParams are the token endpoint's parameters; each may appear at most
// once.
var tokenParams = []string{"grant_type", "code", "client_id", "client_secret", "redirect_uri", "refresh_token", "scope"}

// oauthFault counts a call of an OAuth endpoint for the client named by the
// client_id parameter, when it is known, and takes the next fault injected
// for api, if any.
func (s *Server) oauthFault(api string, v url.Values) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst := s.st.institutions[v.Get("client_id")]; inst != nil {
		s.st.countClient(inst.ClientID, api)
	}
	return s.st.takeFault(api)
}

// formEndpoint returns the handler of an OAuth endpoint that takes a form
// POST (token, revoke): it counts the call, answers O0010 to other methods,
// reads the form, applies an injected fault, and then answers with answer,
// which runs with s.mu held.
func (s *Server) formEndpoint(api string, answer func(v url.Values, formErr error) *object) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.countAPI(api)
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusOK, rspObject("O0010", rspMessage("O0010")))
			return
		}
		v, formErr := readForm(w, r)
		if applyFault(w, r, s.oauthFault(api, v), oauthFaultBody) {
			return
		}
		s.mu.Lock()
		body := answer(v, formErr)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, body)
	}
}

// token answers a token request. The caller holds s.mu.
func (s *Server) token(v url.Values, formErr error) *object {
	bad := func(detail string) *object { return rspObject("O0001", oauthMessage(detail)) }
	if formErr != nil {
		return bad(detailBadParameter)
	}
	for _, k := range tokenParams {
		if _, dup := single(v, k); dup {
			return bad(detailBadParameter)
		}
	}
	grant, _ := single(v, "grant_type")
	var required []string
	switch grant {
	case "authorization_code":
		required = []string{"code", "client_id", "client_secret", "redirect_uri"}
	case "refresh_token":
		required = []string{"client_id", "client_secret", "refresh_token", "scope"}
	case "client_credentials":
		required = []string{"client_id", "client_secret", "scope"}
	default:
		return bad(detailBadParameter)
	}
	for _, k := range required {
		if val, _ := single(v, k); val == "" {
			return bad(detailBadParameter)
		}
	}
	inst := s.authenticateClient(v)
	if inst == nil {
		return bad(detailClient)
	}
	now := s.clock.Now()
	switch grant {
	case "authorization_code":
		c := s.st.codes[v.Get("code")]
		if c == nil || c.used || c.clientID != inst.ClientID || !now.Before(c.expires) {
			return bad(detailCodeUsedExpired)
		}
		if v.Get("redirect_uri") != c.redirectURI {
			return bad(detailRedirectURI)
		}
		c.used = true
		return s.userTokenBody(inst.ClientID, c.userSeqNo, c.scopes, now)
	case "refresh_token":
		rec := s.lookupToken(v.Get("refresh_token"), kindRefresh)
		switch {
		case rec == nil || rec.clientID != inst.ClientID || rec.revoked:
			return rspObject("O0002", rspMessage("O0002"))
		case rec.expired(now):
			return rspObject("O0003", rspMessage("O0003"))
		}
		scopes := normalizeScopes(v.Get("scope"))
		for _, sc := range scopes {
			if !slices.Contains(rec.scopes, sc) {
				return bad(detailScope)
			}
		}
		if len(scopes) == 0 {
			return bad(detailBadParameter)
		}
		rec.revoked = true // rotation: the old refresh token stops working
		return s.userTokenBody(inst.ClientID, rec.userSeqNo, scopes, now)
	default: // client_credentials
		if v.Get("scope") != "oob" {
			return bad(detailBadParameter)
		}
		rec, _, err := s.issueToken(kindAccess, inst.ClientID, "", inst.ClientUseCode, []string{"oob"},
			now.Truncate(time.Second).Add(accessLifetime))
		if err != nil {
			return rspObject("A0003", rspMessage("A0003"))
		}
		return new(object).
			set("access_token", rec.raw).
			set("token_type", "Bearer").
			set("expires_in", expiresIn).
			set("scope", "oob").
			set("client_use_code", inst.ClientUseCode)
	}
}

// userTokenBody issues a user token pair and returns the success body with
// exactly the six keys of the contract. The caller holds s.mu.
func (s *Server) userTokenBody(clientID, userSeqNo string, scopes []string, now time.Time) *object {
	access, refresh, err := s.issueUserTokens(clientID, userSeqNo, scopes, now)
	if err != nil {
		return rspObject("A0003", rspMessage("A0003"))
	}
	return new(object).
		set("access_token", access.raw).
		set("token_type", "Bearer").
		set("expires_in", expiresIn).
		set("refresh_token", refresh.raw).
		set("scope", strings.Join(scopes, " ")).
		set("user_seq_no", userSeqNo)
}

// authenticateClient returns the institution whose client_id and
// client_secret are in v, or nil. The caller holds s.mu.
func (s *Server) authenticateClient(v url.Values) *Institution {
	inst := s.st.institutions[v.Get("client_id")]
	if inst == nil || subtle.ConstantTimeCompare([]byte(v.Get("client_secret")), []byte(inst.ClientSecret)) != 1 {
		return nil
	}
	return inst
}

// revoke answers a revoke request. The caller holds s.mu.
func (s *Server) revoke(v url.Values, formErr error) *object {
	bad := func(detail string) *object { return rspObject("O0001", oauthMessage(detail)) }
	if formErr != nil {
		return bad(detailBadParameter)
	}
	for _, k := range []string{"client_id", "client_secret", "access_token"} {
		if val, dup := single(v, k); dup || val == "" {
			return bad(detailBadParameter)
		}
	}
	inst := s.authenticateClient(v)
	if inst == nil {
		return bad(detailClient)
	}
	rec := s.lookupToken(v.Get("access_token"), kindAccess)
	if rec == nil || rec.clientID != inst.ClientID || rec.revoked {
		return rspObject("O0002", rspMessage("O0002"))
	}
	rec.revoked = true
	refresh := ""
	if p := s.st.tokens[rec.partner]; p != nil {
		p.revoked = true
		refresh = p.raw
	}
	ok := "A0000"
	if s.st.quirks.RevokeO0000 {
		ok = "O0000"
	}
	return rspObject(ok, "").
		set("access_token", rec.raw).
		set("refresh_token", refresh)
}

// oauthFaultBody is the answer of an injected rsp_code on the OAuth
// endpoints.
func oauthFaultBody(rspCode, _ string) *object {
	return rspObject(rspCode, rspMessage(rspCode))
}
