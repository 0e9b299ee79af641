package testbed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// jwtHeader is the fixed JOSE header of every token the simulator issues.
const jwtHeader = `{"alg":"HS256","typ":"JWT"}`

// tokenIssuer is the iss claim of every token, as on the real service.
const tokenIssuer = "https://www.openbanking.or.kr"

// jwtClaims is the payload of access and refresh tokens, in the field
// order of the contract's example.
type jwtClaims struct {
	Aud   string   `json:"aud"`
	Scope []string `json:"scope"`
	Iss   string   `json:"iss"`
	Exp   int64    `json:"exp"`
	Jti   string   `json:"jti"`
}

var errBadToken = errors.New("malformed or unsigned token")

// signJWT encodes claims as a compact HS256 JWS signed with key.
func signJWT(key []byte, c jwtClaims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode jwt claims: %w", err)
	}
	enc := base64.RawURLEncoding
	signingInput := enc.EncodeToString([]byte(jwtHeader)) + "." + enc.EncodeToString(payload)
	return signingInput + "." + enc.EncodeToString(jwtMAC(key, signingInput)), nil
}

// verifyJWT checks the header, the signature and the payload shape of
// token and returns its claims. It does not check expiry: the simulator
// keeps expiry in its token table and judges it by its own clock.
func verifyJWT(key []byte, token string) (jwtClaims, error) {
	var c jwtClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errBadToken
	}
	enc := base64.RawURLEncoding
	header, err := enc.DecodeString(parts[0])
	if err != nil || string(header) != jwtHeader {
		return c, errBadToken
	}
	sig, err := enc.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, jwtMAC(key, parts[0]+"."+parts[1])) {
		return c, errBadToken
	}
	payload, err := enc.DecodeString(parts[1])
	if err != nil {
		return c, errBadToken
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Jti == "" {
		return c, errBadToken
	}
	return c, nil
}

func jwtMAC(key []byte, signingInput string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signingInput))
	return m.Sum(nil)
}
