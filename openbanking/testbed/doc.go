// Package testbed is an in-memory simulator of the KFTC (금융결제원) Open
// Banking API v2.0 testbed, served as an http.Handler.
//
// It implements the wire contract in docs/kftc-openbanking.md independently
// of package openbanking, so the client and the simulator check each other.
// It is deliberately strict: a request the real service would reject is
// rejected here too. It is used by
// tests (httptest.NewServer(testbed.New(cfg))), by `moimbot testbed` and by
// `moimbot demo`.
//
// # Wire API
//
//	GET  /oauth/2.0/authorize                   consent page (HTML)
//	POST /oauth/2.0/authorize                   consent form (see below)
//	POST /oauth/2.0/token                       authorization_code, refresh_token, client_credentials
//	POST /oauth/2.0/revoke                      revoke an access token and its refresh token
//	GET  /v2.0/user/me                          사용자정보조회
//	GET  /v2.0/account/list                     등록계좌조회
//	GET  /v2.0/account/balance/fin_num          잔액조회
//	GET  /v2.0/account/transaction_list/fin_num 거래내역조회
//
// Every API error is HTTP 200 with a JSON body carrying rsp_code and
// rsp_message (application/json; charset=UTF-8), authorize errors included
// until the redirect_uri is validated; unknown paths are 404. An inquiry is
// checked in this order: method (O0010), "Authorization: Bearer" header
// (O0001 [992]), signature and token table (O0002 for garbled, unknown or
// revoked tokens), expiry by the simulator clock (O0003), scope (O0011),
// per-client_id rate limit (O0008), injected fault, parameters (A0004,
// O0004, A0008), ownership of the fintech_use_num (A0304), the nightly
// maintenance window (A0002 with bank_rsp_code 551, balance and
// transaction_list only), and then the data.
//
// # The consent form
//
// The consent page served by GET /oauth/2.0/authorize posts a form to POST
// /oauth/2.0/authorize, and scripts can post the same form without a
// browser (Consent does). Content-Type application/x-www-form-urlencoded,
// fields:
//
//	response_type, client_id, redirect_uri, scope, state, auth_type,
//	client_info (optional), cellphone_cert_yn, authorized_cert_yn,
//	account_hold_auth_yn, lang (optional)   the authorize query, re-validated
//	user_seq_no                             the consenting test user
//	account                                 an Account.ID of that user; repeatable
//	consent                                 "agree" or "cancel"
//	Kftc-Bfop-UserSeqNo, Kftc-Bfop-UserCI,
//	Kftc-Bfop-AccessToken                   with auth_type=2, when not sent
//	                                        as headers (a browser's form POST
//	                                        cannot send them; the page
//	                                        carries them as hidden fields)
//
// agree with at least one account registers those accounts for the
// institution and answers 302 to redirect_uri?code=…&scope=…&client_info=…&state=…
// (client_info only when given; scope in normalised, sorted order). The code
// is 30 alphanumerics, single use, valid 10 minutes, bound to client_id,
// redirect_uri, user and scopes. cancel, or agree without accounts, answers
// 302 to redirect_uri?error=access_denied&error_description=…&state=…. An
// account that is not the user's, an unknown user, a user other than the
// one auth_type=2 named, or a missing consent field fails like any error
// after the redirect_uri is validated: 302 to
// redirect_uri?error=invalid_request&error_description=…[3000103]…&state=…,
// with nothing registered.
//
// # Decisions the contract leaves open
//
// Authorize. client_id (repeated or missing 3000103, unknown 3000201) and
// then redirect_uri (repeated or missing 3000103, not registered 3000114)
// are checked first; their errors are HTTP 200 JSON
// {"rsp_code":"O0001","rsp_message":"인증 파라미터 오류([…])"}, as no
// trustworthy redirect_uri is known (an unparseable query or form is
// 3000103 the same way). Every later error goes back to the redirect_uri
// with error, an error_description such as "O0001 인증 파라미터
// 오류([3000115]) …" and the state (none when state was repeated), in this
// order: any other repeated parameter (invalid_request, 3000103);
// response_type missing (invalid_request, 3000103) or other than code
// (unsupported_response_type, 3000116); scope missing or empty
// (invalid_request, 3000103) or not registered for the institution
// (invalid_scope, 3000115); state not exactly 32 characters, auth_type not
// 0 or 2, a *_yn not Y or N (invalid_request, 3000103). auth_type=2 needs
// exactly one each of the Kftc-Bfop-UserSeqNo, Kftc-Bfop-UserCI and
// Kftc-Bfop-AccessToken headers (invalid_request, 3000103); the access
// token must be a live user token of the institution (else its own code,
// O0002 or O0003, in the error_description), and the user_seq_no and CI
// those of its user (3000103). The page then offers that user only. Every
// consent registers the chosen accounts for inquiry (inquiry_agree_yn "Y");
// transfer_agree_yn is "Y" once a consent included the transfer scope.
// Re-consent keeps the fintech_use_num of an (account, institution) pair,
// which is the bank code (3) + the client_use_code's digits (9) + a serial
// (12).
//
// Token. Parameters are read from the form body only; another Content-Type,
// an unparseable body, a missing or empty parameter, a repeated parameter
// or an unknown grant_type is 3000103. The client is then authenticated
// (3000201). authorization_code: an unknown, used, expired or other
// client's code is 3002110; a redirect_uri different from the authorize
// one is 3000114 and leaves the code usable. refresh_token: a garbled,
// unknown, already rotated, revoked or other client's refresh token is
// O0002; an expired one is O0003; scope must be a subset of the original
// grant (else 3000115) and becomes the new pair's scope. Refreshing rotates
// the pair: the old refresh token stops working, while the old access
// token stays valid until its own expiry. client_credentials: scope must be
// exactly "oob" (else 3000103); the institution token lives 90 days like a
// user's. Tokens are HS256 JWTs with the contract's payload; exp is issue +
// 7775999 s for access tokens and issue + 100 days for refresh tokens, and a
// token is expired from exp on. Refresh tokens have the same payload shape
// as access tokens.
//
// Revoke. client_id, client_secret and access_token as a form (3000103,
// 3000201 as at the token endpoint); an unknown, revoked or other client's
// token is O0002 (an expired one can still be revoked). Success is
// {"rsp_code":"A0000","rsp_message":"","access_token":…,"refresh_token":…}
// — an empty rsp_message like every other success — with refresh_token ""
// for an institution token; with Quirks.RevokeO0000 the rsp_code is O0000.
// Both tokens answer O0002 afterwards.
//
// Inquiry parameters. Unknown parameters are ignored; an optional
// parameter with an empty value counts as absent. A malformed user_seq_no
// is A0004; a well-formed one that is not the token's user is O0004 API
// 접근권한이 없음. The Authorization scheme is case-insensitive; a missing,
// repeated or non-Bearer header is O0001 [992]. A user token without
// inquiry on balance or transaction_list, or an oob token on any inquiry,
// is O0011. A bank_tran_id is the client_use_code, "U" and 9 letters (of
// either case) or digits; ids are compared exactly and remembered per
// institution for the current KST day of the simulator clock only. An id is
// recorded once the request passed format validation, so a call that then
// fails with A0304 or A0002 has used its id; a call that an injected fault
// takes records its id before the fault acts, unless the fault answers an O
// code (see Fault). With inquiry_base=T, from_time and to_time are
// optional: an absent from_time is 000000 and an absent to_time 235959.
// from_date ≤ to_date (for inquiry_base=T, the full date-times) is checked
// on the values as sent; dates in the future are then clamped to today, and
// to_date − from_date may be at most 365 days. Errors of the token stage (O0001 [992], O0002,
// O0003, O0008, O0010, O0011), injected or not, and of the OAuth endpoints
// carry only rsp_code and rsp_message. Parameter and ownership errors
// (A0004, A0008, A0304, O0004) also carry api_tran_id and api_tran_dtm, and
// on balance and transaction_list the common header with empty bank
// fields, as the request never reached a bank; the maintenance answer
// carries bank_code_tran 097, bank_rsp_code 551 and bank_rsp_message 은행
// 점검시간.
//
// Paging. befor_inquiry_trace_info is 20 characters: the sort order, the
// Seq of the page's last row (9 digits) and a MAC that binds both to the
// fintech_use_num and every filter as sent. A trace info that this
// simulator did not issue for the same account, filters and sort order is
// A0004, so a client that changes its filters between pages is caught.
// The next page holds the rows after (sort A) or before (sort D) that Seq,
// so rows posted between page calls neither shift nor repeat rows. An
// empty page has an empty trace info; with Quirks.EmptyAsA0018 every empty
// page answers A0018.
//
// Accounts. account_num_masked masks the last three digits
// ("3333-01-2345***"); bank_code_sub is the bank code + "0001"; account_seq
// and payer_num are empty; available_amt is the balance, or 0 when it is
// negative; account_issue_date is the day the account was added or of its
// first transaction, whichever is earlier. A cancelled registration (see
// CancelRegistration) is account_state "09", listed only with
// include_cancel_yn=Y, and answers A0304 on inquiries.
//
// Rate limit. A token bucket per client_id on the four inquiry APIs only,
// timed by Config.WallNow rather than the simulator clock. Requests
// rejected before the rate limit (bad token, scope) do not use it up, and
// faults are consumed only by requests that pass it.
//
// # Admin API
//
// The JSON admin API under /testbed/ stands in for the portal's 테스트
// 데이터 관리 page. It has no authentication: serve the simulator on a
// loopback address only. Bad JSON or invalid values answer 400 with
// {"error": "…"}; an unknown id in the path answers 404.
//
//	GET|POST   /testbed/institutions                 list / add an Institution
//	GET|POST   /testbed/users                        list / add a User
//	GET|POST   /testbed/accounts                     list (with current balance and registrations) / add an Account
//	GET|POST   /testbed/accounts/{id}/transactions   list / post a Posting
//	GET        /testbed/registrations                list registrations
//	DELETE     /testbed/registrations/{fintech_use_num}  cancel a registration
//	GET|POST|DELETE /testbed/faults                  list / inject a Fault / clear all
//	POST       /testbed/tokens/expire                {"access_token":…} or {"user_seq_no":…}
//	GET|POST   /testbed/clock                        {"now":…} / {"set": RFC 3339} or {"advance": "2160h"}
//	GET|POST   /testbed/settings                     {"maintenance", "rate_limit", "rate_burst", "quirks"}
//	GET|DELETE /testbed/stats                        call counters / reset them
//
// For example, to post a deposit:
//
//	curl -X POST http://127.0.0.1:9443/testbed/accounts/demo-moim/transactions \
//	  -d '{"inout_type":"입금","print_content":"11월회비김민수","amount":30000}'
//
// # Time
//
// The simulator clock (Config.Clock) decides token and code expiry, the
// maintenance window, bank_tran_id days, date clamping and the default time
// of a posting. Posting times are truncated to the second and may not lie
// after the clock's now. All wire dates and times are KST.
package testbed
