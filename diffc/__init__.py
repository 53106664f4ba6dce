"""diffc: a source-transformation differentiating compiler for Python + NumPy.

    import diffc
    df = diffc.grad(f)            # gradient function with f's signature
    print(diffc.source(df))       # the generated derivative code
"""
from .api import grad, hessian, hvp, jacobian, jvp, source, source_map, value_and_grad, vjp
from .errors import DiffcError, NameResolutionError, NoRuleError, UnsupportedError

__version__ = "0.1.0"
__all__ = ["grad", "value_and_grad", "vjp", "jvp", "hvp", "hessian", "jacobian", "source", "source_map", "DiffcError", "UnsupportedError",
           "NoRuleError", "NameResolutionError"]
