package registry

// ResolveInvoke is ResolveName for the invoke path: it also returns the ARN
// as the caller named the function (qualified when the request carried a
// qualifier), which the runtime receives as the invoked function ARN.
func (r *Registry) ResolveInvoke(account, functionName, qualifier string) (*Version, string, error) {
	t, err := r.target(account, functionName, qualifier, namespacedName)
	if err != nil {
		return nil, "", err
	}
	v, err := r.Resolve(account, t.name, t.qualifier)
	if err != nil {
		return nil, "", err
	}
	invoked := v.Function.ARN
	if t.qualifier != "" {
		invoked = r.qualifiedARN(account, t.name, t.qualifier)
	}
	return v, invoked, nil
}
