<?xml version="1.0" encoding="UTF-8"?>
<!--
  ACME's ORDRSP: the standard mapping (imported) with one change. ACME's ERP reads a
  changed response (BGM 1225 4) as "not processed", so it gets every response as accepted
  (29) and learns about changes from the lines (LIN 1229). Everything else is the standard
  stylesheet's: named templates of the importing stylesheet win over the imported ones.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns="urn:edi-gateway:edifact-xml:1">
  <xsl:import href="../../../xslt/canonical-to-ordrsp.xsl"/>

  <xsl:template name="bgm">
    <xsl:param name="code"/>
    <xsl:param name="number"/>
    <xsl:param name="function"/>
    <BGM>
      <C002><D1001><xsl:value-of select="$code"/></D1001></C002>
      <D1004><xsl:value-of select="$number"/></D1004>
      <D1225>
        <xsl:choose>
          <xsl:when test="$function = '4'">29</xsl:when>
          <xsl:otherwise><xsl:value-of select="$function"/></xsl:otherwise>
        </xsl:choose>
      </D1225>
    </BGM>
  </xsl:template>
</xsl:stylesheet>
