package registry

import (
	"context"
	"errors"
)

// Recursive loop settings of PutFunctionRecursionConfig.
const (
	RecursiveLoopAllow     = "Allow"
	RecursiveLoopTerminate = "Terminate"
)

// RecursionConfig is the body and response of Put/GetFunctionRecursionConfig.
type RecursionConfig struct {
	RecursiveLoop *string `json:"RecursiveLoop"`
}

// recursionTarget resolves the FunctionName of a recursion config
// operation: an unqualified function (UnqualifiedFunctionName).
func (r *Registry) recursionTarget(account, functionName string) (target, error) {
	var v violations
	ref, _ := parseName(functionName, managementName, &v)
	if err := v.err(); err != nil {
		return target{}, err
	}
	t, err := r.resolveRef(account, ref, "")
	if err != nil {
		return target{}, err
	}
	return t, t.unqualified()
}

// PutFunctionRecursionConfig sets what lambdad does when the function is
// part of a recursive loop: Terminate (the default) or Allow.
func (r *Registry) PutFunctionRecursionConfig(ctx context.Context, account, functionName string, in *RecursionConfig) (*RecursionConfig, error) {
	var v violations
	if in.RecursiveLoop == nil {
		v.addNull("recursiveLoop")
	} else {
		v.enum(*in.RecursiveLoop, "recursiveLoop", RecursiveLoopTerminate, RecursiveLoopAllow)
	}
	t, err := r.recursionTarget(account, functionName)
	if err == nil {
		err = v.err()
	}
	if err != nil {
		return nil, err
	}
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		fn.RecursiveLoop = *in.RecursiveLoop
		if fn.RecursiveLoop == RecursiveLoopTerminate {
			fn.RecursiveLoop = ""
		}
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, r.notFound(account, t.name, "")
	}
	if err != nil {
		return nil, err
	}
	return &RecursionConfig{RecursiveLoop: stringPtr(*in.RecursiveLoop)}, nil
}

// GetFunctionRecursionConfig returns the function's recursive loop setting.
func (r *Registry) GetFunctionRecursionConfig(account, functionName string) (*RecursionConfig, error) {
	t, err := r.recursionTarget(account, functionName)
	if err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if fn == nil {
		return nil, r.notFound(account, t.name, "")
	}
	return &RecursionConfig{RecursiveLoop: stringPtr(fn.Recursion())}, nil
}

// Recursion is the function's recursive loop setting: Allow or Terminate.
func (fn *Function) Recursion() string {
	if fn.RecursiveLoop == "" {
		return RecursiveLoopTerminate
	}
	return fn.RecursiveLoop
}
