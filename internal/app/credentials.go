package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// CredentialsProfile is the profile name in the credentials file.
const CredentialsProfile = "vigil"

// ensureCredentials creates the root access key on first start and writes
// it to <data>/credentials, the AWS shared-credentials format, mode 0600.
// The file is written again if someone removed it.
func (a *App) ensureCredentials(ctx context.Context) error {
	akid, secret, created, err := a.iamSvc.EnsureRootKey(ctx)
	if err != nil {
		return fmt.Errorf("root access key: %w", err)
	}
	path := filepath.Join(a.cfg.DataDir, "credentials")
	if _, err := os.Stat(path); err == nil && !created {
		return nil
	}
	body := fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n",
		CredentialsProfile, akid, secret, a.cfg.Region)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	// The key id is not secret; the secret stays in the file.
	fmt.Fprintf(os.Stderr, "vigil: root access key %s written to %s (profile %q)\n", akid, path, CredentialsProfile)
	return nil
}
