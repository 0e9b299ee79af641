// Package openbanking is a client for the KFTC (금융결제원) Open Banking API v2.0:
// OAuth 2.0 user authorization, token exchange, refresh with rotation and revocation,
// and the inquiry APIs moimbot needs (user/me, account/list, account/balance/fin_num and
// account/transaction_list/fin_num with paging).
//
// The client follows the wire contract in docs/kftc-openbanking.md field by field and
// tolerates every variant the real service is known to send: amounts as strings or
// numbers, the misspelt printed_content key, keys with stray spaces, and both forms of
// "no transactions". Errors from the service come back as *Error carrying rsp_code,
// rsp_message and bank_rsp_code; Classify sorts them into the classes callers act on.
//
// Balance and transaction-list calls carry a bank_tran_id that the bank consumes
// on receipt, even when its answer is then lost, and each call is billed. The client
// therefore never lets net/http resend such a request by itself: a call whose
// connection broke is retried under the RetryPolicy with a new bank_tran_id, and
// every attempt passes Config.HTTPClient once, where it can be counted.
//
// A Client does no I/O when constructed. Its base URL, HTTP client and clock are
// injectable so that it runs unchanged against the real KFTC hosts or against the
// simulator in package testbed. Secrets (client secret, access and refresh tokens) are
// never part of an error string or a log value.
package openbanking
