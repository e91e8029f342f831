"""The vocabulary every part shares: the symbols, the sigmoid function and its forms, InputError."""

from ._errors import InputError as InputError
from ._sigmoid import sigmoid as sigmoid
from ._sigmoid_forms import SIGMOID_FORM_RULES as SIGMOID_FORM_RULES
from ._sigmoid_forms import sigmoid_forms as sigmoid_forms
from ._symbols import B as B
from ._symbols import D as D
from ._symbols import H as H
from ._symbols import Omega as Omega
from ._symbols import X as X
from ._symbols import Y as Y
from ._symbols import b as b
from ._symbols import c as c
from ._symbols import h as h
from ._symbols import i as i
from ._symbols import j as j
from ._symbols import k as k
from ._symbols import l as l
from ._symbols import m as m
from ._symbols import n as n
from ._symbols import p as p
from ._symbols import pw as pw
from ._symbols import q as q
from ._symbols import row as row
from ._symbols import v as v
from ._symbols import w as w
from ._symbols import x as x
from ._symbols import y as y
from ._symbols import z as z

__all__ = ["B", "D", "H", "InputError", "Omega", "SIGMOID_FORM_RULES", "X", "Y", "b", "c", "h", "i", "j", "k",
           "l", "m", "n", "p", "pw", "q", "row", "sigmoid", "sigmoid_forms", "v", "w", "x", "y", "z"]
