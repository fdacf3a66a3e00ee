"""The dashboard's library: data.py (every figure as SQL over the marts) and ui.py (the shared sidebar).

The Streamlit app and its pages stay in dashboard/ (`make dashboard`); they only lay these out.
"""
