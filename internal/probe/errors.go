package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// Class is the kind of a probe failure, stable enough to count and store.
type Class string

// The error classes. They are part of the history store's data: add new
// ones, never rename.
const (
	ClassTimeout        Class = "timeout"
	ClassRefused        Class = "refused"
	ClassDNS            Class = "dns"
	ClassTLS            Class = "tls"
	ClassReset          Class = "reset"
	ClassHTTPStatus     Class = "http_status"
	ClassInvalidJSON    Class = "invalid_json"
	ClassInvalidData    Class = "invalid_data"
	ClassTooLarge       Class = "too_large"
	ClassForbidden      Class = "forbidden"
	ClassInvalidAddress Class = "invalid_address"
	ClassRedirect       Class = "redirect"
	ClassCanceled       Class = "canceled"
	ClassOther          Class = "other"
)

// Error is a failed probe: a class and a short message, small enough that
// thousands of failing nodes cost little.
type Error struct {
	Class Class
	Msg   string
}

func (e *Error) Error() string { return string(e.Class) + ": " + e.Msg }

// Errorf makes an *Error of class c.
func Errorf(c Class, format string, args ...any) *Error {
	return &Error{Class: c, Msg: fmt.Sprintf(format, args...)}
}

const maxMsg = 200

// classify turns a transport error into an *Error.
func classify(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	var ge *guardError
	var dnsErr *net.DNSError
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var unkAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certInv x509.CertificateInvalidError
	var alert tls.AlertError
	var netErr net.Error
	c := ClassOther
	switch {
	case errors.As(err, &ge):
		c = ClassForbidden
	case errors.As(err, &dnsErr):
		c = ClassDNS
		if dnsErr.IsTimeout {
			c = ClassTimeout
		}
	case errors.Is(err, context.DeadlineExceeded):
		c = ClassTimeout
	case errors.Is(err, context.Canceled):
		c = ClassCanceled
	case errors.As(err, &recErr), errors.As(err, &certErr), errors.As(err, &unkAuth),
		errors.As(err, &hostErr), errors.As(err, &certInv), errors.As(err, &alert):
		c = ClassTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		c = ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		c = ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		c = ClassReset
	case strings.Contains(err.Error(), "response headers exceeded"):
		c = ClassTooLarge
	case strings.Contains(err.Error(), "tls:"):
		c = ClassTLS
	case strings.Contains(err.Error(), "stopped after") && strings.Contains(err.Error(), "redirects"):
		c = ClassRedirect
	}
	return &Error{Class: c, Msg: shorten(err.Error())}
}

func shorten(s string) string {
	if len(s) <= maxMsg {
		return s
	}
	cut := maxMsg
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
