package api

import (
	"slices"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Body limits, as AWS enforces them per operation.
const (
	defaultMaxBody = 6 << 20    // management operations
	maxCodeBody    = 70_167_211 // CreateFunction / UpdateFunctionCode with a ZipFile
	maxInvokeBody  = 6_291_456  // synchronous Invoke
)

// route is one operation of the Lambda REST API.
type route struct {
	method  string
	pattern string // net/http ServeMux pattern; {FunctionName} etc. are path values
	op      string // AWS operation name
	maxBody int64  // 0 means defaultMaxBody
	h       handler
}

// limitName is the operation name AWS uses in "Request must be smaller than
// N bytes for the X operation".
func (rt route) limitName() string {
	if rt.op == "Invoke" {
		return "InvokeFunction"
	}
	return rt.op
}

// tooLarge is AWS's answer to a request body over the operation's limit.
func (rt route) tooLarge(limit int64) error {
	return awserr.New(awserr.RequestEntityTooLarge, "Request must be smaller than %d bytes for the %s operation", limit, rt.limitName())
}

// routes is the whole API: the control plane and synchronous invoke here,
// the other features in the route tables of their own files.
var routes = slices.Concat(coreRoutes, asyncRoutes, streamRoutes, versionRoutes, layerRoutes, policyRoutes, provisionedRoutes)

// coreRoutes are the function control plane and Invoke, one line per
// operation, in the model's terms.
var coreRoutes = []route{
	{"POST", "/2015-03-31/functions", "CreateFunction", maxCodeBody, createFunction},
	{"GET", "/2015-03-31/functions", "ListFunctions", 0, listFunctions},
	{"GET", "/2015-03-31/functions/{$}", "ListFunctions", 0, listFunctions},
	{"GET", "/2015-03-31/functions/{FunctionName}", "GetFunction", 0, getFunction},
	{"DELETE", "/2015-03-31/functions/{FunctionName}", "DeleteFunction", 0, deleteFunction},
	{"GET", "/2015-03-31/functions/{FunctionName}/configuration", "GetFunctionConfiguration", 0, getFunctionConfiguration},
	{"PUT", "/2015-03-31/functions/{FunctionName}/configuration", "UpdateFunctionConfiguration", 0, updateFunctionConfiguration},
	{"PUT", "/2015-03-31/functions/{FunctionName}/code", "UpdateFunctionCode", maxCodeBody, updateFunctionCode},
	{"POST", "/2015-03-31/functions/{FunctionName}/invocations", "Invoke", maxInvokeBody, invoke},

	{"GET", "/2017-03-31/tags/{Resource}", "ListTags", 0, listTags},
	{"POST", "/2017-03-31/tags/{Resource}", "TagResource", 0, tagResource},
	{"DELETE", "/2017-03-31/tags/{Resource}", "UntagResource", 0, untagResource},

	{"GET", "/2016-08-19/account-settings", "GetAccountSettings", 0, getAccountSettings},
	{"GET", "/2016-08-19/account-settings/{$}", "GetAccountSettings", 0, getAccountSettings},

	{"PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency", 0, putFunctionConcurrency},
	{"DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency", 0, deleteFunctionConcurrency},
	{"GET", "/2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency", 0, getFunctionConcurrency},
}
