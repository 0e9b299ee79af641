package testbed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pageSize is the official maximum number of rows per page.
const pageSize = 25

// maxRangeDays is the (decided) longest from_date…to_date range.
const maxRangeDays = 365

// txFilter is a validated transaction_list request. The raw strings are
// kept because the paging cursor is bound to them.
type txFilter struct {
	fin, inquiryType, inquiryBase, sortOrder string
	fromDate, fromTime, toDate, toTime       string
	// from and to bound the rows: by KST date for inquiry_base D, to the
	// second (inclusive) for T.
	from, to time.Time
}

// matches reports whether t passes the type and window filters.
func (f *txFilter) matches(t *Transaction) bool {
	switch f.inquiryType {
	case "I":
		if t.InoutType != "입금" {
			return false
		}
	case "O":
		if t.InoutType != "출금" {
			return false
		}
	}
	return !t.At.Before(f.from) && !t.At.After(f.to)
}

// traceInfo encodes the paging cursor: the sort order (1), the Seq of the
// last returned row (9 digits) and a 10-character MAC binding both to the
// account and the filters, 20 characters in all. A cursor by Seq, not by
// offset, means rows posted between page calls neither shift nor repeat
// rows.
func (s *Server) traceInfo(f *txFilter, seq int64) string {
	return f.sortOrder + fmt.Sprintf("%09d", seq) + s.traceMAC(f, seq)
}

func (s *Server) traceMAC(f *txFilter, seq int64) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "befor_inquiry_trace_info\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d",
		f.fin, f.inquiryType, f.inquiryBase, f.sortOrder, f.fromDate, f.fromTime, f.toDate, f.toTime, seq)
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)[:5]))
}

// parseTraceInfo returns the Seq of a cursor this simulator issued for the
// same account, filters and sort order.
func (s *Server) parseTraceInfo(f *txFilter, trace string) (int64, bool) {
	if len(trace) != 20 || trace[:1] != f.sortOrder {
		return 0, false
	}
	seq, err := strconv.ParseInt(trace[1:10], 10, 64)
	if err != nil || seq < 0 || trace[1] == '+' || trace[1] == '-' {
		return 0, false
	}
	want := s.traceMAC(f, seq)
	return seq, hmac.Equal([]byte(trace[10:]), []byte(want))
}

// transactionList answers GET /v2.0/account/transaction_list/fin_num.
// The caller holds s.mu.
func (s *Server) transactionList(c caller, q *query, now time.Time) *object {
	f := &txFilter{}
	tranID := q.req("bank_tran_id")
	checkTranID(c, q, tranID)
	f.fin = q.req("fintech_use_num")
	q.match("fintech_use_num", f.fin, reDigits24, "24자리 숫자가 아님")
	f.inquiryType = q.req("inquiry_type")
	q.oneOf("inquiry_type", f.inquiryType, "A", "I", "O")
	f.inquiryBase = q.req("inquiry_base")
	q.oneOf("inquiry_base", f.inquiryBase, "D", "T")
	f.fromDate = q.req("from_date")
	fromDay := q.date("from_date", f.fromDate)
	f.fromTime = q.opt("from_time")
	fromClock := q.clock("from_time", f.fromTime)
	f.toDate = q.req("to_date")
	toDay := q.date("to_date", f.toDate)
	f.toTime = q.opt("to_time")
	toClock := q.clock("to_time", f.toTime)
	f.sortOrder = q.req("sort_order")
	q.oneOf("sort_order", f.sortOrder, "D", "A")
	q.dateTime("tran_dtime", q.req("tran_dtime"))
	trace := q.opt("befor_inquiry_trace_info")

	if q.err == nil {
		switch f.inquiryBase {
		case "D":
			if f.fromTime != "" {
				q.fail("from_time", "inquiry_base=D에는 사용할 수 없음")
			} else if f.toTime != "" {
				q.fail("to_time", "inquiry_base=D에는 사용할 수 없음")
			}
			toClock = 24*time.Hour - time.Second
		case "T":
			// from_time and to_time are optional (§4.4): an absent one
			// leaves its day whole, from 000000 or to 235959.
			if f.toTime == "" {
				toClock = 24*time.Hour - time.Second
			}
		}
	}
	if q.err == nil {
		f.from, f.to = fromDay.Add(fromClock), toDay.Add(toClock)
		if f.from.After(f.to) {
			q.fail("from_date", "조회 시작이 종료보다 늦음")
		}
	}
	if q.err == nil {
		// Dates in the future are clamped to today.
		today := now.In(kst)
		today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, kst)
		if toDay.After(today) {
			toDay, f.to = today, today.Add(24*time.Hour-time.Second)
		}
		if fromDay.After(today) {
			fromDay, f.from = today, today
		}
		if days := int(toDay.Sub(fromDay).Hours()) / 24; days > maxRangeDays {
			q.fail("to_date", fmt.Sprintf("조회 기간이 %d일을 넘음", maxRangeDays))
		}
	}
	cursor := int64(-1)
	if q.err == nil && trace != "" {
		seq, ok := s.parseTraceInfo(f, trace)
		if !ok {
			q.fail("befor_inquiry_trace_info", "발급되지 않았거나 조회 조건이 다른 값")
		}
		cursor = seq
	}
	a, r, errBody := s.bankRequest(APITransactionList, c, q, tranID, f.fin, now)
	if errBody != nil {
		return errBody
	}

	rows := make([]*Transaction, 0, pageSize+1)
	if f.sortOrder == "A" {
		for i := range a.txns {
			t := &a.txns[i]
			if t.Seq > cursor && f.matches(t) {
				if rows = append(rows, t); len(rows) > pageSize {
					break
				}
			}
		}
	} else {
		for i := len(a.txns) - 1; i >= 0; i-- {
			t := &a.txns[i]
			if (cursor < 0 || t.Seq < cursor) && f.matches(t) {
				if rows = append(rows, t); len(rows) > pageSize {
					break
				}
			}
		}
	}
	next := "N"
	if len(rows) > pageSize {
		rows, next = rows[:pageSize], "Y"
	}
	traceOut := ""
	if len(rows) > 0 {
		traceOut = s.traceInfo(f, rows[len(rows)-1].Seq)
	}

	qk := s.st.quirks
	rspCode := "A0000"
	if len(rows) == 0 && qk.EmptyAsA0018 {
		rspCode = "A0018"
	}
	memoKey := "print_content"
	if qk.PrintedContent {
		memoKey = "printed_content"
	}
	list := make([]any, 0, len(rows))
	for _, t := range rows {
		at := t.At.In(kst)
		row := new(object).
			set("tran_date", at.Format(layoutDate)).
			set("tran_time", at.Format(layoutTime)).
			set("inout_type", t.InoutType).
			set("tran_type", t.TranType).
			set(memoKey, t.PrintContent).
			set("tran_amt", formatAmount(t.Amount, qk.NumericAmounts)).
			set("after_balance_amt", formatAmount(t.AfterBalance, qk.NumericAmounts)).
			set("branch_name", t.BranchName)
		list = append(list, s.oddRowKeys(row, "inout_type ", t.InoutType))
	}
	cnt := formatAmount(int64(len(rows)), qk.NumericAmounts)
	o := bankHeader(rspCode, rspMessage(rspCode), tranID, now, "000").
		set("bank_name", a.BankName).
		set("savings_bank_name", "").
		set("fintech_use_num", r.FintechUseNum).
		set("balance_amt", formatAmount(a.balance(), qk.NumericAmounts)).
		set("page_record_cnt", cnt)
	if qk.OddKeys {
		o.set("page_record_cnt ", cnt)
	}
	o.set("next_page_yn", next).
		set("befor_inquiry_trace_info", traceOut).
		set("res_list", list)
	return s.oddKeys(o)
}
