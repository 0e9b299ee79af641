package openbanking

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestObjectAmount(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    int64
		wantOK  bool
		wantErr bool
	}{
		{"QuotedString", `{"v":"30000"}`, 30000, true, false},
		{"Number", `{"v":30000}`, 30000, true, false},
		{"NegativeString", `{"v":"-1000000"}`, -1000000, true, false},
		{"NegativeNumber", `{"v":-1000000}`, -1000000, true, false},
		{"PlusSign", `{"v":"+500"}`, 500, true, false},
		{"Spaces", `{"v":" 1200 "}`, 1200, true, false},
		{"ThousandsSeparators", `{"v":"1,243,000"}`, 1243000, true, false},
		{"Missing", `{}`, 0, false, false},
		{"Null", `{"v":null}`, 0, false, false},
		{"EmptyString", `{"v":""}`, 0, false, false},
		{"Fraction", `{"v":"100.5"}`, 0, false, true},
		{"FractionNumber", `{"v":100.5}`, 0, false, true},
		{"Text", `{"v":"abc"}`, 0, false, true},
		{"Object", `{"v":{}}`, 0, false, true},
		{"Overflow", `{"v":"99999999999999999999"}`, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := decodeObject([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			got, ok, err := o.amount("v")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("amount = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDecodeObjectKeys(t *testing.T) {
	tests := []struct {
		name, json, key, want string
	}{
		{"TrailingSpace", `{"page_record_cnt ":"2"}`, "page_record_cnt", "2"},
		{"UpperCase", `{"RSP_CODE":"A0000"}`, "rsp_code", "A0000"},
		{"NormalFormWins", `{"page_record_cnt ":"9","page_record_cnt":"2"}`, "page_record_cnt", "2"},
		{"NormalFormWinsReversed", `{"page_record_cnt":"2","page_record_cnt ":"9"}`, "page_record_cnt", "2"},
		{"UnknownKeysIgnored", `{"x_extra":[1,2],"rsp_code":"A0000"}`, "rsp_code", "A0000"},
		{"BoolAsText", `{"flag":true}`, "flag", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := decodeObject([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			got, err := o.str(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("str(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestDecodeObjectRejects(t *testing.T) {
	for _, body := range []string{``, `[]`, `null`, `"x"`, `{"a":`, `<html>`} {
		if _, err := decodeObject([]byte(body)); err == nil {
			t.Errorf("decodeObject(%q) succeeded, want error", body)
		}
	}
}

// TestDecodePageSample decodes the contract's example page (testdata), once as
// the contract writes it and once in each tolerated variant.
func TestDecodePageSample(t *testing.T) {
	tests := []struct {
		file string
	}{
		{"page_strings.json"},
		{"page_numbers.json"},
		{"page_printed_content.json"},
		{"page_row_odd_keys.json"}, // unknown and spaced keys inside res_list rows
	}
	want := TransactionPage{
		APITranID: "9d41f0a2-5c6e-4b8a-a3f7-1e2d3c4b5a69", BankTranID: "M202500123U4K7Q2Z9X1",
		BankName: "카카오뱅크", FintechUseNum: "120250012309012345678901",
		BalanceAmt: 1243000, BalanceKnown: true, NextPage: true, TraceInfo: "1T2026112500025",
		BankTime: time.Date(2026, 11, 25, 10, 2, 10, 804e6, kst),
		Rows: []Transaction{
			{Date: "20261125", Time: "093012", At: time.Date(2026, 11, 25, 9, 30, 12, 0, kst), InoutType: "입금", TranType: "타행환",
				PrintContent: "11월회비김민수", Amount: 30000, AfterBalance: 1243000},
			{Date: "20261124", Time: "221740", At: time.Date(2026, 11, 24, 22, 17, 40, 0, kst), InoutType: "출금", TranType: "대체",
				PrintContent: "모임식대", Amount: -184000, AfterBalance: 1213000},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			o, err := decodeObject(body)
			if err != nil {
				t.Fatal(err)
			}
			h, err := o.header()
			if err != nil {
				t.Fatal(err)
			}
			if err := checkRsp(opTransactions, h, true); err != nil {
				t.Fatal(err)
			}
			got, err := decodePage(o, h)
			if err != nil {
				t.Fatal(err)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("page:\n got %s\nwant %s", gotJSON, wantJSON)
			}
		})
	}
}

func TestDecodePageErrors(t *testing.T) {
	tests := []struct {
		name, json string
	}{
		{"CountMismatch", `{"rsp_code":"A0000","page_record_cnt":"3","next_page_yn":"N","res_list":[]}`},
		{"NextWithoutCursor", `{"rsp_code":"A0000","page_record_cnt":"0","next_page_yn":"Y","res_list":[]}`},
		{"BadNextFlag", `{"rsp_code":"A0000","next_page_yn":"X","res_list":[]}`},
		{"BadDate", `{"rsp_code":"A0000","next_page_yn":"N","res_list":[{"tran_date":"2026","tran_time":"093012","tran_amt":"1","after_balance_amt":"1"}]}`},
		{"MissingAmount", `{"rsp_code":"A0000","next_page_yn":"N","res_list":[{"tran_date":"20261125","tran_time":"093012","after_balance_amt":"1"}]}`},
		{"MissingAfterBalance", `{"rsp_code":"A0000","next_page_yn":"N","res_list":[{"tran_date":"20261125","tran_time":"093012","tran_amt":"1"}]}`},
		{"ListNotArray", `{"rsp_code":"A0000","next_page_yn":"N","res_list":{}}`},
		{"RowNotObject", `{"rsp_code":"A0000","next_page_yn":"N","res_list":[1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := decodeObject([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			h, _ := o.header()
			if _, err := decodePage(o, h); err == nil {
				t.Errorf("decodePage succeeded, want error")
			}
		})
	}
}

// FuzzDecodeResponse feeds arbitrary bodies to the response decoders (a
// transaction page and a token answer): they must never panic, and decoding the
// same body twice must give the same result.
func FuzzDecodeResponse(f *testing.F) {
	for _, name := range []string{"page_strings.json", "page_numbers.json", "page_printed_content.json"} {
		body, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add([]byte(`{"rsp_code":"A0018","rsp_message":"거래내역 없음"}`))
	f.Add([]byte(`{"rsp_code":"O0003","rsp_message":"Access Token 만료"}`))
	f.Add([]byte(`{"access_token":"x","expires_in":"7775999"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decode := func() (string, error) {
			o, err := decodeObject(body)
			if err != nil {
				return "", err
			}
			h, err := o.header()
			if err != nil {
				return "", err
			}
			p, err := decodePage(o, h)
			if err != nil {
				return "", err
			}
			for _, r := range p.Rows {
				if r.At.IsZero() {
					t.Fatalf("row without time: %+v", r)
				}
			}
			js, err := json.Marshal(p)
			return string(js), err
		}
		decodeTok := func() (string, error) {
			o, err := decodeObject(body)
			if err != nil {
				return "", err
			}
			tok, err := decodeToken(opToken, o, time.Unix(1_800_000_000, 0))
			if err != nil {
				return "", err
			}
			if tok.AccessToken == "" || !tok.ExpiresAt.After(time.Unix(1_800_000_000, 0)) {
				t.Fatalf("accepted token without access token or expiry: %+v", tok)
			}
			js, err := json.Marshal(tok)
			return string(js), err
		}
		if a, b := mustSame(t, decodeTok); a != b {
			t.Fatalf("non-deterministic token decode: %q vs %q", a, b)
		}
		if a, b := mustSame(t, decode); a != b {
			t.Fatalf("non-deterministic page decode: %q vs %q", a, b)
		}
	})
}

// mustSame runs decode twice and returns both results, failing when only one
// of the runs erred or the errors differ.
func mustSame(t *testing.T, decode func() (string, error)) (string, string) {
	a, errA := decode()
	b, errB := decode()
	if fmt.Sprint(errA) != fmt.Sprint(errB) {
		t.Fatalf("non-deterministic error: %v vs %v", errA, errB)
	}
	return a, b
}

func TestDecodeToken(t *testing.T) {
	issued := time.Date(2026, 11, 25, 10, 0, 0, 0, kst)
	tests := []struct {
		name     string
		json     string
		wantCode string // rsp_code of the error, "" for success or a decoding error
		wantErr  bool
		wantExp  time.Time
	}{
		{"NumberExpiry", `{"access_token":"a","token_type":"Bearer","expires_in":7775999,"refresh_token":"r","scope":"inquiry login","user_seq_no":"1100000001"}`, "", false, issued.Add(7775999 * time.Second)},
		{"StringExpiry", `{"access_token":"a","expires_in":"7775999"}`, "", false, issued.Add(7775999 * time.Second)},
		{"Error", `{"rsp_code":"O0001","rsp_message":"인증 파라미터 오류([3000201])"}`, "O0001", true, time.Time{}},
		{"Neither", `{"token_type":"Bearer"}`, "", true, time.Time{}},
		{"NoExpiry", `{"access_token":"a"}`, "", true, time.Time{}},
		{"ZeroExpiry", `{"access_token":"a","expires_in":0}`, "", true, time.Time{}},
		{"HugeExpiry", `{"access_token":"a","expires_in":9223372036854775807}`, "", true, time.Time{}},
		{"FractionExpiry", `{"access_token":"a","expires_in":1.5}`, "", true, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := decodeObject([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := decodeToken(opToken, o, issued)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				e, _ := err.(*Error)
				if got := e.RspCode; got != tt.wantCode {
					t.Errorf("rsp_code = %q, want %q", got, tt.wantCode)
				}
				return
			}
			if !tok.ExpiresAt.Equal(tt.wantExp) {
				t.Errorf("expires at %v, want %v", tok.ExpiresAt, tt.wantExp)
			}
		})
	}
}

func TestParseAPITranDtm(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"20261125100210804", time.Date(2026, 11, 25, 10, 2, 10, 804e6, kst)},
		{"20261125100210", time.Date(2026, 11, 25, 10, 2, 10, 0, kst)},
		{"", time.Time{}},
		{"2026112510", time.Time{}},
		{"2026132510021080x", time.Time{}},
	}
	for _, tt := range tests {
		if got := parseAPITranDtm(tt.in); !got.Equal(tt.want) {
			t.Errorf("parseAPITranDtm(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestCollectPagesBound: a list past its page bound returns the rows read
// with an error that wraps ErrPageLimit, and the last page's bank time.
func TestCollectPagesBound(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, kst)
	calls := 0
	list, err := collectPages(2, func(trace string) (TransactionPage, error) {
		calls++
		return TransactionPage{Rows: []Transaction{{At: at.Add(time.Duration(calls) * time.Second)}}, NextPage: true,
			TraceInfo: fmt.Sprint("t", calls), BankTime: at.Add(time.Duration(calls) * time.Minute)}, nil
	})
	if !errors.Is(err, ErrPageLimit) {
		t.Fatalf("err = %v, want ErrPageLimit", err)
	}
	if got, want := len(list.Rows), 2; got != want {
		t.Errorf("%d rows, want %d", got, want)
	}
	if got, want := list.BankTime, at.Add(2*time.Minute); !got.Equal(want) {
		t.Errorf("BankTime = %v, want %v (the last page's)", got, want)
	}
}
