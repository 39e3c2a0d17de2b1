"""Renderers: each turns a Plan into one output format and never prints or reads AWS."""
