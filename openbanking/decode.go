package openbanking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// object is a decoded JSON object whose keys are normalised (surrounding white
// space trimmed, lower case), so that a key like "page_record_cnt " in the official
// sample still reads as page_record_cnt. Unknown keys are kept and ignored.
type object map[string]json.RawMessage

// decodeObject parses a JSON object. When two keys normalise to the same name, the
// one already in normal form wins, so the result does not depend on map order.
func decodeObject(data []byte) (object, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	if raw == nil {
		return nil, errors.New("decode response: not a json object")
	}
	o := make(object, len(raw))
	for k, v := range raw {
		if normalizeKey(k) == k {
			o[k] = v
		}
	}
	for k, v := range raw {
		n := normalizeKey(k)
		if _, ok := o[n]; !ok {
			o[n] = v
		}
	}
	return o, nil
}

func normalizeKey(k string) string { return strings.ToLower(strings.TrimSpace(k)) }

func isNull(v json.RawMessage) bool {
	return len(bytes.TrimSpace(v)) == 0 || string(bytes.TrimSpace(v)) == "null"
}

// str returns the value of key as text. Strings are unquoted; numbers and
// booleans are returned as written; a missing key or null is "".
func (o object) str(key string) (string, error) {
	v, ok := o[key]
	if !ok || isNull(v) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if err := dec.Decode(&n); err == nil {
		return n.String(), nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err == nil {
		return strconv.FormatBool(b), nil
	}
	return "", fmt.Errorf("field %s: not a string or number", key)
}

// amount returns the value of key as won. KFTC sends amounts as quoted strings
// ("30000", "-1000000"), but some responses carry JSON numbers; both are accepted,
// with an optional sign, surrounding spaces and thousands separators. A missing
// key, null or empty string yields ok == false. Fractions are rejected: money is
// whole won.
func (o object) amount(key string) (v int64, ok bool, err error) {
	s, err := o.str(key)
	if err != nil {
		return 0, false, err
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	if s == "" {
		return 0, false, nil
	}
	v, err = strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("field %s: %q is not a whole amount", key, s)
	}
	return v, true, nil
}

// requiredAmount is amount for a field that must be present.
func (o object) requiredAmount(key string) (int64, error) {
	v, ok, err := o.amount(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("field %s: missing", key)
	}
	return v, nil
}

// list returns the array under key as objects; missing or null is an empty list.
func (o object) list(key string) ([]object, error) {
	v, ok := o[key]
	if !ok || isNull(v) {
		return nil, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return nil, fmt.Errorf("field %s: not an array", key)
	}
	out := make([]object, 0, len(raw))
	for i, r := range raw {
		item, err := decodeObject(r)
		if err != nil {
			return nil, fmt.Errorf("field %s[%d]: %w", key, i, err)
		}
		out = append(out, item)
	}
	return out, nil
}

// textField names a text field and where to store it.
type textField struct {
	key string
	dst *string
}

// strs reads several text fields at once, in order. It stops at the first
// malformed field.
func (o object) strs(fields ...textField) error {
	for _, f := range fields {
		s, err := o.str(f.key)
		if err != nil {
			return err
		}
		*f.dst = s
	}
	return nil
}

// header is the common part of every KFTC inquiry response.
type header struct {
	APITranID      string
	APITranDtm     string
	RspCode        string
	RspMessage     string
	BankTranID     string
	BankTranDate   string
	BankCodeTran   string
	BankRspCode    string
	BankRspMessage string
}

func (o object) header() (header, error) {
	var h header
	err := o.strs(
		textField{"api_tran_id", &h.APITranID},
		textField{"api_tran_dtm", &h.APITranDtm},
		textField{"rsp_code", &h.RspCode},
		textField{"rsp_message", &h.RspMessage},
		textField{"bank_tran_id", &h.BankTranID},
		textField{"bank_tran_date", &h.BankTranDate},
		textField{"bank_code_tran", &h.BankCodeTran},
		textField{"bank_rsp_code", &h.BankRspCode},
		textField{"bank_rsp_message", &h.BankRspMessage},
	)
	return h, err
}
