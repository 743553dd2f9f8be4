package playbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
)

// responseTrust lets Step Functions and EventBridge act with a playbook's
// role: the state machine runs its tasks with it, and the rule's target
// starts the state machine with it.
const responseTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
	`"Principal":{"Service":["states.amazonaws.com","events.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`

// responsePolicyName names the inline policy of a playbook's role.
const responsePolicyName = "vigil-playbook-permissions"

// installResponseRole creates a playbook's role, if it does not exist, and
// (re)writes its inline policy, so that the role allows exactly what this
// version of the playbook needs. It returns the role's ARN.
func installResponseRole(ctx context.Context, env *services.Env, as identity.Principal, name, description, policyDoc string) (string, error) {
	out, err := env.Invoker.Invoke(ctx, as, "iam", "CreateRole", map[string]any{
		"RoleName": name, "AssumeRolePolicyDocument": responseTrust, "Description": description,
	})
	var ae *awsproto.Error
	switch {
	case errors.As(err, &ae) && ae.Code == "EntityAlreadyExists":
		out, err = env.Invoker.Invoke(ctx, as, "iam", "GetRole", map[string]any{"RoleName": name})
		if err != nil {
			return "", fmt.Errorf("get role %s: %w", name, err)
		}
	case err != nil:
		return "", fmt.Errorf("create role %s: %w", name, err)
	}
	var role struct{ Role struct{ Arn string } }
	if err := json.Unmarshal(out, &role); err != nil || role.Role.Arn == "" {
		return "", fmt.Errorf("role %s: unreadable answer %s", name, out)
	}
	if _, err := env.Invoker.Invoke(ctx, as, "iam", "PutRolePolicy", map[string]any{
		"RoleName": name, "PolicyName": responsePolicyName, "PolicyDocument": policyDoc,
	}); err != nil {
		return "", fmt.Errorf("put policy of role %s: %w", name, err)
	}
	return role.Role.Arn, nil
}
