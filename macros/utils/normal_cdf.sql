{#
    The standard normal distribution, for the experiment statistics (p-values
    and confidence intervals). DuckDB, Postgres, Snowflake and Spark have no
    normal CDF or erf: one portable implementation (adapter-dispatched, so an
    engine with a native one can plug it in).

    normal_cdf(x) = P(Z <= x), Z ~ N(0, 1).
    Default: algorithm 5666 of J. F. Hart et al., "Computer Approximations"
    (1968), in the double-precision form given by G. West, "Better
    approximations to cumulative normal functions" (Wilmott, 2005): a rational
    function of |x| (degree 6 over 7) times exp(-x^2 / 2) for |x| < 7.07, a
    continued fraction beyond, 0 beyond |x| > 37 (the true tail is < 1e-299).
    It computes the lower tail Phi(-|x|) directly, so small p-values keep their
    relative precision (no 1 - Phi cancellation). Absolute error below 1e-15
    everywhere; relative error of the lower tail below 3e-13 for |x| < 4 and
    below 1e-8 out to |x| = 37 (tests_py/test_marketing_marts.py checks 1e-12
    absolute and 1e-8 relative against scipy on a 1e-3 grid over [-40, 40]):
    far inside the 1e-7 the experiment marts need, which the often-quoted
    Abramowitz-Stegun 7.1.26 (1.5e-7) does not meet.

    normal_quantile(p) = the x with P(Z <= x) = p, for 0 < p < 1 (null
    outside). P. J. Acklam's rational approximation (2003): relative error
    below 1.15e-9 over (0, 1), checked against scipy too.

    Arguments are SQL expressions repeated inside the result: pass a column or
    a literal, not a costly expression. Both yield double precision.
#}
{% macro normal_cdf(x) -%}
    {{ return(adapter.dispatch('normal_cdf', 'orchard')(x)) }}
{%- endmacro %}

{% macro default__normal_cdf(x) -%}
    {%- set a = 'abs(cast(' ~ x ~ ' as ' ~ orchard.type_double() ~ '))' -%}
    {%- set p = [3.52624965998911e-02, 7.00383064443688e-01, 6.37396220353165e+00, 3.3912866078383e+01,
                 1.12079291497871e+02, 2.21213596169931e+02, 2.20206867912376e+02] -%}
    {%- set q = [8.83883476483184e-02, 1.75566716318264e+00, 1.6064177579207e+01, 8.67807322029461e+01,
                 2.96564248779674e+02, 6.37333633378831e+02, 7.93826512519948e+02, 4.40413735824752e+02] -%}
    (case
        when {{ x }} is null then null
        else (
            case when cast({{ x }} as {{ orchard.type_double() }}) > 0 then 1.0e0 else 0.0e0 end
            + (case when cast({{ x }} as {{ orchard.type_double() }}) > 0 then -1.0e0 else 1.0e0 end)
            * (case
                when {{ a }} > 3.7e1 then 0.0e0
                when {{ a }} < 7.07106781186547e0 then
                    exp(-{{ a }} * {{ a }} / 2.0e0)
                    * {{ orchard._horner(p, a) }}
                    / {{ orchard._horner(q, a) }}
                else
                    exp(-{{ a }} * {{ a }} / 2.0e0)
                    / ({{ a }} + 1.0e0 / ({{ a }} + 2.0e0 / ({{ a }} + 3.0e0 / ({{ a }} + 4.0e0 / ({{ a }} + 6.5e-1)))))
                    / 2.506628274631e0
            end)
        )
    end)
{%- endmacro %}

{% macro normal_quantile(p) -%}
    {{ return(adapter.dispatch('normal_quantile', 'orchard')(p)) }}
{%- endmacro %}

{% macro default__normal_quantile(p) -%}
    {%- set pp = 'cast(' ~ p ~ ' as ' ~ orchard.type_double() ~ ')' -%}
    {%- set a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00] -%}
    {%- set b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01, 1.0] -%}
    {%- set c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00] -%}
    {%- set d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                 3.754408661907416e+00, 1.0] -%}
    {%- set low_q = 'sqrt(-2.0e0 * ln(' ~ pp ~ '))' -%}
    {%- set high_q = 'sqrt(-2.0e0 * ln(1.0e0 - ' ~ pp ~ '))' -%}
    {%- set mid_q = '(' ~ pp ~ ' - 5.0e-1)' -%}
    {%- set mid_r = '(' ~ mid_q ~ ' * ' ~ mid_q ~ ')' -%}
    (case
        when {{ pp }} <= 0.0e0 or {{ pp }} >= 1.0e0 then null
        when {{ pp }} < 2.425e-2 then
            {{ orchard._horner(c, low_q) }} / {{ orchard._horner(d, low_q) }}
        when {{ pp }} > 1.0e0 - 2.425e-2 then
            -{{ orchard._horner(c, high_q) }} / {{ orchard._horner(d, high_q) }}
        else
            {{ mid_q }} * {{ orchard._horner(a, mid_r) }} / {{ orchard._horner(b, mid_r) }}
    end)
{%- endmacro %}

{#- The polynomial c[0] * x^(n-1) + ... + c[n-1] in Horner form, coefficients as double literals. -#}
{% macro _horner(coefficients, x) -%}
    {%- set ns = namespace(sql='(' ~ '%.16e' | format(coefficients[0]) ~ ')') -%}
    {%- for coefficient in coefficients[1:] -%}
        {%- set ns.sql = '(' ~ ns.sql ~ ' * ' ~ x ~ ' + ' ~ '(%.16e' | format(coefficient) ~ '))' -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}
