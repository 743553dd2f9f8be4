package sns

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// signer holds the key that signs HTTP deliveries and the certificate
// subscribers verify them with.
type signer struct {
	key      *rsa.PrivateKey
	certPEM  []byte
	certPath string // "/SimpleNotificationService-<hash>.pem"
}

// loadSigner returns the stored signing key, creating it on first use. The
// key lives in the database, next to the access keys it is as secret as.
func loadSigner(ctx context.Context, db *store.DB) (*signer, error) {
	keyPEM, certPEM, err := readKey(ctx, db.Read())
	if errors.Is(err, sql.ErrNoRows) {
		keyPEM, certPEM, err = createKey(ctx, db)
	}
	if err != nil {
		return nil, err
	}
	return parseSigner(keyPEM, certPEM)
}

func readKey(ctx context.Context, q querier) (keyPEM, certPEM []byte, err error) {
	err = q.QueryRowContext(ctx, `SELECT key_pem, cert_pem FROM sns_signing_keys ORDER BY id LIMIT 1`).Scan(&keyPEM, &certPEM)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("load signing key: %w", err)
	}
	return keyPEM, certPEM, err
}

// createKey generates an RSA 2048 key and a self-signed certificate and
// stores them, unless another process stored one first.
func createKey(ctx context.Context, db *store.DB) (keyPEM, certPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate signing key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "sns.vigil.local", Organization: []string{"Vigil"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create signing certificate: %w", err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	err = db.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sns_signing_keys`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sns_signing_keys (key_pem, cert_pem, created) VALUES (?, ?, ?)`,
			keyPEM, certPEM, now.UnixNano())
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store signing key: %w", err)
	}
	return readKey(ctx, db.Read())
}

func parseSigner(keyPEM, certPEM []byte) (*signer, error) {
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, errors.New("stored signing key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse stored signing key: %w", err)
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil {
		return nil, errors.New("stored signing certificate is not PEM")
	}
	sum := sha256.Sum256(cb.Bytes)
	return &signer{key: key, certPEM: certPEM,
		certPath: "/SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem"}, nil
}

// stringToSign builds the canonical text AWS signs for a message: for each
// signed field present, in the documented order, its name and value on
// lines of their own.
func stringToSign(f signedFields) string {
	var b strings.Builder
	add := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('\n')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	add("Message", f.Message)
	add("MessageId", f.MessageID)
	if f.Type == typeNotification {
		if f.Subject != "" {
			add("Subject", f.Subject)
		}
	} else {
		add("SubscribeURL", f.SubscribeURL)
	}
	add("Timestamp", f.Timestamp)
	if f.Type != typeNotification {
		add("Token", f.Token)
	}
	add("TopicArn", f.TopicARN)
	add("Type", f.Type)
	return b.String()
}

// signedFields are the envelope fields a signature covers.
type signedFields struct {
	Type, MessageID, TopicARN, Subject, Message, Timestamp string
	SubscribeURL, Token                                    string
}

// sign returns the base64 RSA PKCS#1 v1.5 signature of the message:
// SHA1 for SignatureVersion 1, SHA256 for 2.
func sign(key *rsa.PrivateKey, version string, f signedFields) (string, error) {
	text := []byte(stringToSign(f))
	var sum []byte
	var h crypto.Hash
	switch version {
	case "2":
		s := sha256.Sum256(text)
		sum, h = s[:], crypto.SHA256
	default:
		s := sha1.Sum(text)
		sum, h = s[:], crypto.SHA1
	}
	sig, err := rsa.SignPKCS1v15(nil, key, h, sum)
	if err != nil {
		return "", fmt.Errorf("sign message: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}
