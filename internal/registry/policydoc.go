package registry

import (
	"bytes"
	"encoding/json"
	"strings"
)

// The policy document GetPolicy and AddPermission show, in AWS's member
// order: Sid, Effect, Principal, Action, Resource, Condition; in a
// Condition, StringEquals (AWS:SourceAccount, lambda:FunctionUrlAuthType,
// aws:PrincipalOrgID, lambda:EventSourceToken), then ArnLike
// (AWS:SourceArn), then Bool (lambda:InvokedViaFunctionUrl).

// policyDocument is a resource policy as AWS renders it.
type policyDocument struct {
	Version   string               `json:"Version"`
	Id        string               `json:"Id"`
	Statement []*statementDocument `json:"Statement"`
}

// statementDocument is one statement as AWS renders it.
type statementDocument struct {
	Sid    string `json:"Sid"`
	Effect string `json:"Effect"`
	// Principal is "*", a servicePrincipal or an awsPrincipal.
	Principal any                `json:"Principal"`
	Action    string             `json:"Action"`
	Resource  string             `json:"Resource"`
	Condition *conditionDocument `json:"Condition,omitempty"`
}

type servicePrincipal struct {
	Service string `json:"Service"`
}

type awsPrincipal struct {
	AWS string `json:"AWS"`
}

type conditionDocument struct {
	StringEquals *stringEquals `json:"StringEquals,omitempty"`
	ArnLike      *arnLikeCond  `json:"ArnLike,omitempty"`
	Bool         *boolCond     `json:"Bool,omitempty"`
}

type stringEquals struct {
	SourceAccount       string `json:"AWS:SourceAccount,omitempty"`
	FunctionUrlAuthType string `json:"lambda:FunctionUrlAuthType,omitempty"`
	PrincipalOrgID      string `json:"aws:PrincipalOrgID,omitempty"`
	EventSourceToken    string `json:"lambda:EventSourceToken,omitempty"`
}

type arnLikeCond struct {
	SourceArn string `json:"AWS:SourceArn"`
}

type boolCond struct {
	InvokedViaFunctionUrl string `json:"lambda:InvokedViaFunctionUrl"`
}

// document renders p, the policy of the function, version or alias with
// ARN resource, as compact JSON.
func (p *Policy) document(resource string) []byte {
	doc := policyDocument{Version: policyVersion, Id: policyID, Statement: make([]*statementDocument, len(p.Statements))}
	for i, s := range p.Statements {
		doc.Statement[i] = s.document(resource)
	}
	return marshalDocument(doc)
}

// document renders s as a statement on resource.
func (s *Statement) document(resource string) *statementDocument {
	d := &statementDocument{
		Sid:       s.Sid,
		Effect:    "Allow",
		Principal: renderPrincipal(s.Principal),
		Action:    s.Action,
		Resource:  resource,
	}
	var c conditionDocument
	if s.SourceAccount != "" || s.FunctionUrlAuthType != "" || s.PrincipalOrgID != "" || s.EventSourceToken != "" {
		c.StringEquals = &stringEquals{
			SourceAccount:       s.SourceAccount,
			FunctionUrlAuthType: s.FunctionUrlAuthType,
			PrincipalOrgID:      s.PrincipalOrgID,
			EventSourceToken:    s.EventSourceToken,
		}
	}
	if s.SourceArn != "" {
		c.ArnLike = &arnLikeCond{SourceArn: s.SourceArn}
	}
	if s.InvokedViaFunctionUrl {
		c.Bool = &boolCond{InvokedViaFunctionUrl: "true"}
	}
	if c != (conditionDocument{}) {
		d.Condition = &c
	}
	return d
}

// renderPrincipal is a Principal as AWS shows it: "*" as is, an account ID
// as its root ARN, an IAM ARN as an AWS principal, anything else (a service
// principal) as a Service principal.
func renderPrincipal(p string) any {
	switch {
	case p == "*":
		return "*"
	case isAccountID(p):
		return awsPrincipal{AWS: "arn:aws:iam::" + p + ":root"}
	case strings.HasPrefix(p, "arn:"):
		return awsPrincipal{AWS: p}
	default:
		return servicePrincipal{Service: p}
	}
}

// marshalDocument encodes v as compact JSON without HTML escaping (AWS
// leaves '&', '<' and '>' as they are).
func marshalDocument(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Unreachable: the document types hold strings only.
		panic("encode policy document: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
