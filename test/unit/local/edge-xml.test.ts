import { parseUpdateHealthCheck } from '../../../local/edge/route53';
import { escapeXml, node, parseXml, xmlDocument, XmlSyntaxError } from '../../../local/edge/xml';

describe('edge XML parser', () => {
  it('parses a namespaced request document with declaration, comments, entities and CDATA', () => {
    const root = parseXml(
      '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><r:Req xmlns:r="urn:x" a=\'1\' b="&lt;&#65;&#x42;">' +
        '<Name>a &amp; b</Name><Empty/><Data><![CDATA[<raw & text>]]></Data><Deep><In>x</In></Deep></r:Req>\n',
    );

    expect(root.name).toBe('Req');
    expect(root.attributes).toEqual({ 'xmlns:r': 'urn:x', a: '1', b: '<AB' });
    expect(root.children.map((c) => c.name)).toEqual(['Name', 'Empty', 'Data', 'Deep']);
    expect(root.children[0]!.text).toBe('a & b');
    expect(root.children[1]!.text).toBe('');
    expect(root.children[2]!.text).toBe('<raw & text>');
    expect(root.children[3]!.children[0]!.text).toBe('x');
  });

  it.each([
    ['<a><b></a>', /does not match/],
    ['<a>', /not closed/],
    ['</a>', /unexpected closing tag/],
    ['<a></a><b/>', /after the root element/],
    ['text<a/>', /outside the root/],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', /DOCTYPE/],
    ['<a>&bogus;</a>', /unknown entity/],
    ['<a>&amp</a>', /unterminated entity/],
    ['<a>&#0;</a>', /invalid character reference/],
    ['<a x="1" x="2"/>', /duplicate attribute/],
    ['<a x=1/>', /quoted value/],
    ['<a><!-- never closed </a>', /unterminated comment/],
    ['', /no root element/],
    [`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`, /nested too deeply/],
  ])('refuses %j', (input, message) => {
    expect(() => parseXml(input)).toThrow(XmlSyntaxError);
    expect(() => parseXml(input)).toThrow(message);
  });

  it('escapes what it writes', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(
      xmlDocument('R', 'urn:n', [node('A', 'x<y'), node('B', undefined), node('C', [node('D', true)])]),
    ).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="urn:n"><A>x&lt;y</A><C><D>true</D></C></R>');
  });
});

describe('UpdateHealthCheckRequest parsing', () => {
  const doc = (inner: string): string =>
    `<?xml version="1.0" encoding="UTF-8"?><UpdateHealthCheckRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">${inner}</UpdateHealthCheckRequest>`;

  it('reads Inverted, Disabled, FailureThreshold and HealthCheckVersion', () => {
    expect(
      parseUpdateHealthCheck(
        doc(
          '<HealthCheckVersion>4</HealthCheckVersion><FailureThreshold>2</FailureThreshold><Inverted>true</Inverted><Disabled>0</Disabled>',
        ),
      ),
    ).toEqual({ version: 4, change: { failureThreshold: 2, inverted: true, disabled: false } });
    expect(parseUpdateHealthCheck(doc(''))).toEqual({ version: undefined, change: {} });
  });

  it.each([
    ['<FailureThreshold>0</FailureThreshold>', /FailureThreshold must be an integer from 1 to 10/],
    ['<FailureThreshold>2.5</FailureThreshold>', /FailureThreshold/],
    ['<HealthCheckVersion>-1</HealthCheckVersion>', /HealthCheckVersion/],
    ['<Inverted>maybe</Inverted>', /Inverted must be true or false/],
    ['<Inverted>true</Inverted><Inverted>false</Inverted>', /more than once/],
    ['<Port>81</Port>', /Port cannot be changed/],
    ['<Colour>red</Colour>', /Unexpected element Colour/],
  ])('refuses %s', (inner, message) => {
    expect(() => parseUpdateHealthCheck(doc(inner))).toThrow(message);
  });
});
