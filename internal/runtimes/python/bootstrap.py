"""lambdad's runtime interface client for Python: the entry point.

lambdad runs `python3 /var/runtime/python/bootstrap.py` in every environment
of a python3.x function. The client lives in _lambdad_runtime.py beside this
file so that the interpreter loads it from the bytecode lambdad compiles
once per interpreter (a script run as __main__ is compiled on every start).
"""

import _lambdad_runtime

_lambdad_runtime.main()
