package registry

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/lambdad/lambdad/internal/awserr"
)

// layerPolicy is the resource-based policy of a layer version: who else
// may use it (lambda:GetLayerVersion is the only action).
type layerPolicy struct {
	// RevisionID changes with every change of the policy.
	RevisionID string           `json:"revisionId"`
	Statements []layerStatement `json:"statements"`
}

// layerStatement is one statement, as AddLayerVersionPermission gave it.
type layerStatement struct {
	Sid            string `json:"sid"`
	Principal      string `json:"principal"`
	OrganizationID string `json:"organizationId,omitempty"`
}

// allows reports whether the policy lets account use the version. lambdad
// has no AWS Organizations, so a statement restricted to an organization
// allows no one.
func (p *layerPolicy) allows(account string) bool {
	if p == nil {
		return false
	}
	for _, s := range p.Statements {
		if s.OrganizationID != "" {
			continue
		}
		if s.Principal == "*" || s.Principal == account || strings.HasSuffix(s.Principal, ":iam::"+account+":root") {
			return true
		}
	}
	return false
}

// layerPolicyStatement is a statement as AWS renders it in policy documents:
// members in AWS's order.
type layerPolicyStatement struct {
	Sid       string                `json:"Sid"`
	Effect    string                `json:"Effect"`
	Principal any                   `json:"Principal"`
	Action    string                `json:"Action"`
	Resource  string                `json:"Resource"`
	Condition *layerPolicyCondition `json:"Condition,omitempty"`
}

type layerPolicyCondition struct {
	StringEquals map[string]string `json:"StringEquals"`
}

// render is s as AWS shows it: an account principal as its root ARN,
// "*" as is.
func (s layerStatement) render(resource string) layerPolicyStatement {
	ps := layerPolicyStatement{Sid: s.Sid, Effect: "Allow", Principal: s.Principal, Action: "lambda:GetLayerVersion", Resource: resource}
	if s.Principal != "*" {
		arn := s.Principal
		if !strings.HasPrefix(arn, "arn:") {
			arn = "arn:aws:iam::" + arn + ":root"
		}
		ps.Principal = map[string]string{"AWS": arn}
	}
	if s.OrganizationID != "" {
		ps.Condition = &layerPolicyCondition{StringEquals: map[string]string{"aws:PrincipalOrgID": s.OrganizationID}}
	}
	return ps
}

// AddLayerVersionPermissionInput is AddLayerVersionPermission's request
// body.
type AddLayerVersionPermissionInput struct {
	StatementId    *string `json:"StatementId,omitempty"`
	Action         *string `json:"Action,omitempty"`
	Principal      *string `json:"Principal,omitempty"`
	OrganizationId *string `json:"OrganizationId,omitempty"`
}

// AddLayerVersionPermissionOutput is AddLayerVersionPermission's response:
// the statement added, as a JSON document.
type AddLayerVersionPermissionOutput struct {
	Statement  string `json:"Statement"`
	RevisionId string `json:"RevisionId"`
}

// GetLayerVersionPolicyOutput is GetLayerVersionPolicy's response.
type GetLayerVersionPolicyOutput struct {
	Policy     string `json:"Policy"`
	RevisionId string `json:"RevisionId"`
}

// Patterns of AddLayerVersionPermission (the model's).
var (
	layerStatementIDPattern = mustPattern(`([a-zA-Z0-9-_]+)`)
	layerActionPattern      = mustPattern(`lambda:GetLayerVersion`)
	layerPrincipalPattern   = mustPattern(`\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root`)
	layerOrgIDPattern       = mustPattern(`o-[a-z0-9]{10,32}`)
)

// errLayerPolicyRevision is AWS's answer to a RevisionId that is not the
// policy's.
var errLayerPolicyRevision = awserr.New(awserr.PreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id")

// policyTarget validates the layer and version of a permission operation
// and returns them; only the layer's own account may change or read its
// policy.
func (r *Registry) policyTarget(account, layerName, versionNumber string, v *violations) (layerRef, int64, error) {
	ref, err := r.parseLayerName(account, layerName, v)
	if verr := v.err(); verr != nil {
		return layerRef{}, 0, verr
	}
	if err != nil {
		return layerRef{}, 0, err
	}
	n, err := parseVersionNumber(versionNumber)
	if err != nil {
		return layerRef{}, 0, err
	}
	if ref.account != account {
		return layerRef{}, 0, awserr.New(awserr.AccessDenied, "")
	}
	return ref, n, nil
}

// errLayerVersionMissing is the permission operations' 404 for a layer
// version that does not exist.
func (r *Registry) errLayerVersionMissing(ref layerRef, n int64) error {
	return awserr.New(awserr.ResourceNotFound, "Layer version %s does not exist.", r.layerVersionARN(ref.account, ref.name, n))
}

// AddLayerVersionPermission adds a statement to the policy of a layer
// version and returns it. revisionID, when not empty, must be the policy's
// current RevisionId.
func (r *Registry) AddLayerVersionPermission(ctx context.Context, account, layerName, versionNumber, revisionID string, in *AddLayerVersionPermissionInput) (*AddLayerVersionPermissionOutput, error) {
	var v violations
	if in.StatementId == nil {
		v.addNull("statementId")
	} else {
		v.length(*in.StatementId, "statementId", 1, 100)
		v.pattern(*in.StatementId, "statementId", layerStatementIDPattern)
	}
	if in.Action == nil {
		v.addNull("action")
	} else {
		v.length(*in.Action, "action", 0, 22)
		v.pattern(*in.Action, "action", layerActionPattern)
	}
	if in.Principal == nil {
		v.addNull("principal")
	} else {
		v.pattern(*in.Principal, "principal", layerPrincipalPattern)
	}
	if in.OrganizationId != nil {
		v.length(*in.OrganizationId, "organizationId", 0, 34)
		v.pattern(*in.OrganizationId, "organizationId", layerOrgIDPattern)
	}
	ref, n, err := r.policyTarget(account, layerName, versionNumber, &v)
	if err != nil {
		return nil, err
	}
	st := layerStatement{Sid: *in.StatementId, Principal: *in.Principal}
	if in.OrganizationId != nil {
		st.OrganizationID = *in.OrganizationId
	}
	var out *AddLayerVersionPermissionOutput
	err = r.mutateLayer(ctx, account, ref.name, false, func(rec *layerRecord) error {
		lv := rec.find(n)
		if lv == nil {
			return r.errLayerVersionMissing(ref, n)
		}
		var p layerPolicy
		if lv.Policy != nil {
			p = *lv.Policy
		}
		if slices.ContainsFunc(p.Statements, func(s layerStatement) bool { return s.Sid == st.Sid }) {
			return awserr.New(awserr.ResourceConflict, "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", st.Sid)
		}
		if revisionID != "" && revisionID != p.RevisionID {
			return errLayerPolicyRevision
		}
		p.Statements = append(slices.Clip(p.Statements), st)
		p.RevisionID = newRevisionID()
		lv.Policy = &p
		doc, err := json.Marshal(st.render(r.layerVersionARN(account, ref.name, n)))
		if err != nil {
			return err
		}
		out = &AddLayerVersionPermissionOutput{Statement: string(doc), RevisionId: p.RevisionID}
		return nil
	})
	if errors.Is(err, errNoLayer) {
		return nil, r.errLayerVersionMissing(ref, n)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveLayerVersionPermission removes a statement from the policy of a
// layer version. revisionID, when not empty, must be the policy's current
// RevisionId.
func (r *Registry) RemoveLayerVersionPermission(ctx context.Context, account, layerName, versionNumber, statementID, revisionID string) error {
	var v violations
	v.length(statementID, "statementId", 1, 100)
	v.pattern(statementID, "statementId", layerStatementIDPattern)
	ref, n, err := r.policyTarget(account, layerName, versionNumber, &v)
	if err != nil {
		return err
	}
	err = r.mutateLayer(ctx, account, ref.name, false, func(rec *layerRecord) error {
		lv := rec.find(n)
		if lv == nil {
			return r.errLayerVersionMissing(ref, n)
		}
		var p layerPolicy
		if lv.Policy != nil {
			p = *lv.Policy
		}
		if revisionID != "" && revisionID != p.RevisionID {
			return errLayerPolicyRevision
		}
		i := slices.IndexFunc(p.Statements, func(s layerStatement) bool { return s.Sid == statementID })
		if i < 0 {
			return awserr.New(awserr.ResourceNotFound, "Statement %s is not found in resource policy.", statementID)
		}
		p.Statements = slices.Delete(slices.Clone(p.Statements), i, i+1)
		p.RevisionID = newRevisionID()
		if len(p.Statements) == 0 {
			lv.Policy = nil
		} else {
			lv.Policy = &p
		}
		return nil
	})
	if errors.Is(err, errNoLayer) {
		return r.errLayerVersionMissing(ref, n)
	}
	return err
}

// GetLayerVersionPolicy returns the policy of a layer version as AWS
// renders it: a JSON document with Version, Id and Statement.
func (r *Registry) GetLayerVersionPolicy(ctx context.Context, account, layerName, versionNumber string) (*GetLayerVersionPolicyOutput, error) {
	var v violations
	ref, n, err := r.policyTarget(account, layerName, versionNumber, &v)
	if err != nil {
		return nil, err
	}
	rec, _, err := r.readLayer(ctx, account, ref.name)
	if err != nil {
		return nil, err
	}
	lv := rec.find(n)
	if lv == nil {
		return nil, r.errLayerVersionMissing(ref, n)
	}
	if lv.Policy == nil || len(lv.Policy.Statements) == 0 {
		return nil, awserr.New(awserr.ResourceNotFound, "No policy is associated with the given resource.")
	}
	resource := r.layerVersionARN(account, ref.name, n)
	doc := struct {
		Version   string                 `json:"Version"`
		ID        string                 `json:"Id"`
		Statement []layerPolicyStatement `json:"Statement"`
	}{Version: "2012-10-17", ID: "default"}
	for _, s := range lv.Policy.Statements {
		doc.Statement = append(doc.Statement, s.render(resource))
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return &GetLayerVersionPolicyOutput{Policy: string(b), RevisionId: lv.Policy.RevisionID}, nil
}
