<?xml version="1.0" encoding="UTF-8"?>
<!--
  canonical order, orderResponse, despatchAdvice, invoice -> openTRANS 2.1 ORDER,
  ORDERRESPONSE, DISPATCHNOTIFICATION, INVOICE (docs/canonical.md "canonical -> openTRANS
  2.1"). The root of the input chooses the output. Elements are written in the order of the
  official schema (formats/xsd/opentrans/opentrans_2_1.xsd), in the openTRANS namespace or,
  for exactly the elements the schema takes from BMEcat 2005, under the bmecat: prefix.
  Values are moved as strings: nothing is computed here (the tax rate becomes a fraction by
  moving the decimal point in the text), and a value that is absent is not written. What
  the schema requires and the canonical document lacks stops the transformation with a
  message naming it, and so does a unit or a currency that is not in the BMEcat 2005 code
  lists (read from the schema file itself, parameter bmecat-xsd).
  Parameter bmecat-xsd: where bmecat_2005.xsd is, relative to this stylesheet.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                xmlns:xsd="http://www.w3.org/2001/XMLSchema"
                xmlns="http://www.opentrans.org/XMLSchema/2.1"
                xmlns:bmecat="http://www.bmecat.org/bmecat/2005"
                exclude-result-prefixes="c xsd">
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:param name="bmecat-xsd" select="'../formats/xsd/opentrans/bmecat_2005.xsd'"/>

  <xsl:variable name="bmecat" select="document($bmecat-xsd)"/>
  <xsl:variable name="units"
                select="$bmecat/xsd:schema/xsd:simpleType[@name='dtPUNIT']/xsd:restriction/xsd:enumeration/@value"/>
  <xsl:variable name="currencies"
                select="$bmecat/xsd:schema/xsd:simpleType[@name='dtCURRENCIES']/xsd:restriction/xsd:enumeration/@value"/>

  <xsl:variable name="doc" select="/c:*"/>

  <xsl:template match="/">
    <xsl:if test="count($units) = 0 or count($currencies) = 0">
      <xsl:message terminate="yes">cannot read the BMEcat 2005 unit and currency lists from <xsl:value-of select="$bmecat-xsd"/></xsl:message>
    </xsl:if>
    <xsl:choose>
      <xsl:when test="c:order | c:orderResponse | c:despatchAdvice | c:invoice">
        <xsl:apply-templates select="$doc"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">the document is not a canonical order, orderResponse, despatchAdvice or invoice</xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ==== ORDER (forwarding) ===================================================== -->

  <xsl:template match="c:order">
    <ORDER version="2.1">
      <xsl:attribute name="type">
        <xsl:choose>
          <xsl:when test="not(c:type)">standard</xsl:when>
          <xsl:when test="c:type = 'standard' or c:type = 'express' or c:type = 'release' or c:type = 'consignment'">
            <xsl:value-of select="c:type"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:message terminate="yes">the order type <xsl:value-of select="c:type"/> has no openTRANS ORDER type (standard, express, release, consignment)</xsl:message>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <ORDER_HEADER>
        <xsl:if test="c:reference[@kind='quotation']">
          <SOURCING_INFO>
            <QUOTATION_ID><xsl:value-of select="c:reference[@kind='quotation'][1]"/></QUOTATION_ID>
          </SOURCING_INFO>
        </xsl:if>
        <ORDER_INFO>
          <ORDER_ID><xsl:value-of select="c:number"/></ORDER_ID>
          <ORDER_DATE><xsl:value-of select="$document-date"/></ORDER_DATE>
          <xsl:call-template name="delivery-date"/>
          <xsl:call-template name="parties"/>
          <ORDER_PARTIES_REFERENCE>
            <xsl:call-template name="idref">
              <xsl:with-param name="name" select="'bmecat:BUYER_IDREF'"/>
              <xsl:with-param name="party" select="$buyer"/>
              <xsl:with-param name="required" select="'buyer'"/>
            </xsl:call-template>
            <xsl:call-template name="idref">
              <xsl:with-param name="name" select="'bmecat:SUPPLIER_IDREF'"/>
              <xsl:with-param name="party" select="$supplier"/>
              <xsl:with-param name="required" select="'supplier'"/>
            </xsl:call-template>
            <xsl:call-template name="idref">
              <xsl:with-param name="name" select="'INVOICE_RECIPIENT_IDREF'"/>
              <xsl:with-param name="party" select="$invoicee"/>
            </xsl:call-template>
            <xsl:if test="$delivery">
              <xsl:call-template name="shipment-parties"/>
            </xsl:if>
          </ORDER_PARTIES_REFERENCE>
          <xsl:call-template name="currency"/>
          <xsl:call-template name="remarks"/>
        </ORDER_INFO>
      </ORDER_HEADER>
      <ORDER_ITEM_LIST>
        <xsl:for-each select="c:line">
          <ORDER_ITEM>
            <xsl:call-template name="item-start"/>
            <xsl:call-template name="price"/>
            <xsl:call-template name="line-amount"/>
            <xsl:call-template name="delivery-date"/>
            <xsl:call-template name="remarks"/>
          </ORDER_ITEM>
        </xsl:for-each>
      </ORDER_ITEM_LIST>
      <ORDER_SUMMARY>
        <xsl:call-template name="total-item-num"/>
        <xsl:for-each select="c:totals/c:lineAmountTotal">
          <TOTAL_AMOUNT><xsl:value-of select="."/></TOTAL_AMOUNT>
        </xsl:for-each>
      </ORDER_SUMMARY>
    </ORDER>
  </xsl:template>

  <!-- ==== ORDERRESPONSE ============================================================ -->

  <xsl:template match="c:orderResponse">
    <xsl:variable name="order-ref" select="c:reference[@kind='customer_order'][1]"/>
    <xsl:if test="not($order-ref)">
      <xsl:message terminate="yes">the order response needs the buyer's order number (reference kind customer_order) for ORDER_ID</xsl:message>
    </xsl:if>
    <ORDERRESPONSE version="2.1">
      <ORDERRESPONSE_HEADER>
        <ORDERRESPONSE_INFO>
          <ORDER_ID><xsl:value-of select="$order-ref"/></ORDER_ID>
          <ORDERRESPONSE_DATE><xsl:value-of select="$document-date"/></ORDERRESPONSE_DATE>
          <xsl:for-each select="$order-ref/@date">
            <ORDER_DATE><xsl:value-of select="."/></ORDER_DATE>
          </xsl:for-each>
          <SUPPLIER_ORDER_ID>
            <xsl:choose>
              <xsl:when test="c:reference[@kind='supplier_order']">
                <xsl:value-of select="c:reference[@kind='supplier_order'][1]"/>
              </xsl:when>
              <xsl:otherwise><xsl:value-of select="c:number"/></xsl:otherwise>
            </xsl:choose>
          </SUPPLIER_ORDER_ID>
          <xsl:call-template name="delivery-date"/>
          <xsl:call-template name="parties"/>
          <ORDER_PARTIES_REFERENCE>
            <xsl:call-template name="idref">
              <xsl:with-param name="name" select="'bmecat:BUYER_IDREF'"/>
              <xsl:with-param name="party" select="$buyer"/>
              <xsl:with-param name="required" select="'buyer'"/>
            </xsl:call-template>
            <xsl:call-template name="idref">
              <xsl:with-param name="name" select="'bmecat:SUPPLIER_IDREF'"/>
              <xsl:with-param name="party" select="$supplier"/>
              <xsl:with-param name="required" select="'supplier'"/>
            </xsl:call-template>
            <xsl:call-template name="idref">
              <xsl:with-param name="name" select="'INVOICE_RECIPIENT_IDREF'"/>
              <xsl:with-param name="party" select="$invoicee"/>
            </xsl:call-template>
            <xsl:if test="$delivery">
              <xsl:call-template name="shipment-parties"/>
            </xsl:if>
          </ORDER_PARTIES_REFERENCE>
          <xsl:call-template name="currency"/>
          <xsl:call-template name="remarks"/>
        </ORDERRESPONSE_INFO>
      </ORDERRESPONSE_HEADER>
      <ORDERRESPONSE_ITEM_LIST>
        <xsl:for-each select="c:line">
          <ORDERRESPONSE_ITEM>
            <xsl:call-template name="item-start"/>
            <xsl:call-template name="price"/>
            <xsl:call-template name="line-amount"/>
            <xsl:call-template name="delivery-date"/>
            <!-- ORDERRESPONSE_ITEM has no element for the line's status: it is a remark of
                 type status (the confirmed QUANTITY says the same: 0 when rejected). -->
            <xsl:for-each select="c:status">
              <REMARKS type="status"><xsl:value-of select="."/></REMARKS>
            </xsl:for-each>
            <xsl:call-template name="remarks"/>
          </ORDERRESPONSE_ITEM>
        </xsl:for-each>
      </ORDERRESPONSE_ITEM_LIST>
      <ORDERRESPONSE_SUMMARY>
        <xsl:call-template name="total-item-num"/>
        <xsl:for-each select="c:totals/c:lineAmountTotal">
          <TOTAL_AMOUNT><xsl:value-of select="."/></TOTAL_AMOUNT>
        </xsl:for-each>
      </ORDERRESPONSE_SUMMARY>
    </ORDERRESPONSE>
  </xsl:template>

  <!-- ==== DISPATCHNOTIFICATION ===================================================== -->

  <xsl:template match="c:despatchAdvice">
    <xsl:if test="not($delivery)">
      <xsl:message terminate="yes">the despatch advice needs a delivery party (DELIVERY_IDREF is required)</xsl:message>
    </xsl:if>
    <DISPATCHNOTIFICATION version="2.1">
      <DISPATCHNOTIFICATION_HEADER>
        <DISPATCHNOTIFICATION_INFO>
          <DISPATCHNOTIFICATION_ID><xsl:value-of select="c:number"/></DISPATCHNOTIFICATION_ID>
          <xsl:for-each select="c:date[@role='document'][1]">
            <DISPATCHNOTIFICATION_DATE><xsl:value-of select="."/></DISPATCHNOTIFICATION_DATE>
          </xsl:for-each>
          <xsl:call-template name="delivery-date"/>
          <xsl:call-template name="parties"/>
          <xsl:call-template name="idref">
            <xsl:with-param name="name" select="'bmecat:SUPPLIER_IDREF'"/>
            <xsl:with-param name="party" select="$supplier"/>
            <xsl:with-param name="required" select="'supplier'"/>
          </xsl:call-template>
          <xsl:call-template name="idref">
            <xsl:with-param name="name" select="'bmecat:BUYER_IDREF'"/>
            <xsl:with-param name="party" select="$buyer"/>
          </xsl:call-template>
          <xsl:call-template name="shipment-parties"/>
          <xsl:if test="c:package[not(@parent) or @parent = '']">
            <LOGISTIC_DETAILS_INFO>
              <PACKAGE_INFO>
                <xsl:apply-templates select="c:package[not(@parent) or @parent = '']"/>
              </PACKAGE_INFO>
            </LOGISTIC_DETAILS_INFO>
          </xsl:if>
          <xsl:call-template name="remarks"/>
        </DISPATCHNOTIFICATION_INFO>
      </DISPATCHNOTIFICATION_HEADER>
      <DISPATCHNOTIFICATION_ITEM_LIST>
        <xsl:for-each select="c:line">
          <xsl:variable name="ref" select="c:reference[@kind='customer_order'][1]"/>
          <xsl:if test="not($ref) or not($ref/@line)">
            <xsl:message terminate="yes">line <xsl:value-of select="c:number"/> of the despatch advice needs its order line (reference kind customer_order with @line) for ORDER_REFERENCE</xsl:message>
          </xsl:if>
          <DISPATCHNOTIFICATION_ITEM>
            <xsl:call-template name="item-start"/>
            <ORDER_REFERENCE>
              <ORDER_ID><xsl:value-of select="$ref"/></ORDER_ID>
              <LINE_ITEM_ID><xsl:value-of select="$ref/@line"/></LINE_ITEM_ID>
              <xsl:for-each select="$ref/@date">
                <ORDER_DATE><xsl:value-of select="."/></ORDER_DATE>
              </xsl:for-each>
            </ORDER_REFERENCE>
            <xsl:call-template name="shipment-parties"/>
            <xsl:variable name="package-id" select="string(c:packageRef)"/>
            <xsl:if test="$package-id != '' and $doc/c:package[@id = $package-id]">
              <LOGISTIC_DETAILS>
                <PACKAGE_INFO>
                  <xsl:apply-templates select="$doc/c:package[@id = $package-id][1]">
                    <xsl:with-param name="nested" select="false()"/>
                  </xsl:apply-templates>
                </PACKAGE_INFO>
              </LOGISTIC_DETAILS>
            </xsl:if>
            <xsl:call-template name="remarks"/>
          </DISPATCHNOTIFICATION_ITEM>
        </xsl:for-each>
      </DISPATCHNOTIFICATION_ITEM_LIST>
      <DISPATCHNOTIFICATION_SUMMARY>
        <xsl:call-template name="total-item-num"/>
      </DISPATCHNOTIFICATION_SUMMARY>
    </DISPATCHNOTIFICATION>
  </xsl:template>

  <!-- A package: its SSCC as PACKAGE_ID type sscc, its type as PACKING_UNIT_CODE when
       that code is in the BMEcat list, its count; packages whose @parent names it become
       SUB_PACKAGES (header only; `nested` false writes the package alone). -->
  <xsl:template match="c:package">
    <xsl:param name="nested" select="true()"/>
    <xsl:variable name="id" select="string(@id)"/>
    <PACKAGE>
      <xsl:for-each select="c:sscc">
        <PACKAGE_ID type="sscc"><xsl:value-of select="."/></PACKAGE_ID>
      </xsl:for-each>
      <xsl:if test="string(c:type) != '' and $units[. = string(current()/c:type)]">
        <bmecat:PACKING_UNIT_CODE><xsl:value-of select="c:type"/></bmecat:PACKING_UNIT_CODE>
      </xsl:if>
      <xsl:if test="string(c:count) != '' and string(c:count) != '0'">
        <PACKAGE_QUANTITY><xsl:value-of select="c:count"/></PACKAGE_QUANTITY>
      </xsl:if>
      <xsl:if test="$nested and ../c:package[@parent = $id]">
        <SUB_PACKAGES>
          <xsl:apply-templates select="../c:package[@parent = $id]"/>
        </SUB_PACKAGES>
      </xsl:if>
    </PACKAGE>
  </xsl:template>

  <!-- ==== INVOICE ================================================================= -->

  <xsl:template match="c:invoice">
    <xsl:if test="not(c:currency)">
      <xsl:message terminate="yes">the invoice has no currency (bmecat:CURRENCY is required)</xsl:message>
    </xsl:if>
    <xsl:if test="not(c:totals/c:lineAmountTotal) or not(c:totals/c:grandTotal)">
      <xsl:message terminate="yes">the invoice needs totals/lineAmountTotal (NET_VALUE_GOODS) and totals/grandTotal (TOTAL_AMOUNT)</xsl:message>
    </xsl:if>
    <xsl:if test="not(c:tax)">
      <xsl:message terminate="yes">the invoice has no tax breakdown (TOTAL_TAX needs one TAX_DETAILS_FIX per rate)</xsl:message>
    </xsl:if>
    <INVOICE version="2.1">
      <INVOICE_HEADER>
        <INVOICE_INFO>
          <INVOICE_ID><xsl:value-of select="c:number"/></INVOICE_ID>
          <INVOICE_DATE><xsl:value-of select="$document-date"/></INVOICE_DATE>
          <xsl:choose>
            <xsl:when test="c:type = 'credit_note'"><INVOICE_TYPE>credit_memo</INVOICE_TYPE></xsl:when>
            <xsl:when test="c:type = 'invoice'"><INVOICE_TYPE>invoice</INVOICE_TYPE></xsl:when>
          </xsl:choose>
          <xsl:for-each select="c:reference[@kind='despatch_advice'][1]">
            <DELIVERYNOTE_ID><xsl:value-of select="."/></DELIVERYNOTE_ID>
          </xsl:for-each>
          <xsl:call-template name="delivery-date"/>
          <xsl:call-template name="parties"/>
          <!-- The supplier issues the invoice; without an invoicee the buyer receives it. -->
          <xsl:call-template name="idref">
            <xsl:with-param name="name" select="'INVOICE_ISSUER_IDREF'"/>
            <xsl:with-param name="party" select="$supplier"/>
            <xsl:with-param name="required" select="'supplier'"/>
          </xsl:call-template>
          <xsl:call-template name="idref">
            <xsl:with-param name="name" select="'INVOICE_RECIPIENT_IDREF'"/>
            <xsl:with-param name="party" select="$invoice-recipient"/>
            <xsl:with-param name="required" select="'invoicee or buyer'"/>
          </xsl:call-template>
          <xsl:call-template name="idref">
            <xsl:with-param name="name" select="'bmecat:BUYER_IDREF'"/>
            <xsl:with-param name="party" select="$buyer"/>
          </xsl:call-template>
          <xsl:call-template name="idref">
            <xsl:with-param name="name" select="'bmecat:SUPPLIER_IDREF'"/>
            <xsl:with-param name="party" select="$supplier"/>
          </xsl:call-template>
          <xsl:call-template name="idref">
            <xsl:with-param name="name" select="'PAYER_IDREF'"/>
            <xsl:with-param name="party" select="c:party[@role='payer'][1]"/>
          </xsl:call-template>
          <xsl:call-template name="idref">
            <xsl:with-param name="name" select="'REMITTEE_IDREF'"/>
            <xsl:with-param name="party" select="c:party[@role='payee'][1]"/>
          </xsl:call-template>
          <xsl:call-template name="currency"/>
          <xsl:call-template name="remarks"/>
        </INVOICE_INFO>
      </INVOICE_HEADER>
      <INVOICE_ITEM_LIST>
        <xsl:for-each select="c:line">
          <xsl:if test="not(c:netPrice) or not(c:lineAmount)">
            <xsl:message terminate="yes">invoice line <xsl:value-of select="c:number"/> needs netPrice and lineAmount (PRODUCT_PRICE_FIX and PRICE_LINE_AMOUNT are required)</xsl:message>
          </xsl:if>
          <INVOICE_ITEM>
            <xsl:call-template name="item-start"/>
            <xsl:call-template name="price"/>
            <xsl:call-template name="line-amount"/>
            <xsl:for-each select="c:reference[@kind='customer_order' and @line][1]">
              <ORDER_REFERENCE>
                <ORDER_ID><xsl:value-of select="."/></ORDER_ID>
                <LINE_ITEM_ID><xsl:value-of select="@line"/></LINE_ITEM_ID>
                <xsl:for-each select="@date">
                  <ORDER_DATE><xsl:value-of select="."/></ORDER_DATE>
                </xsl:for-each>
              </ORDER_REFERENCE>
            </xsl:for-each>
            <xsl:call-template name="remarks"/>
          </INVOICE_ITEM>
        </xsl:for-each>
      </INVOICE_ITEM_LIST>
      <INVOICE_SUMMARY>
        <xsl:call-template name="total-item-num"/>
        <NET_VALUE_GOODS><xsl:value-of select="c:totals/c:lineAmountTotal"/></NET_VALUE_GOODS>
        <TOTAL_AMOUNT><xsl:value-of select="c:totals/c:grandTotal"/></TOTAL_AMOUNT>
        <TOTAL_TAX>
          <xsl:apply-templates select="c:tax"/>
        </TOTAL_TAX>
      </INVOICE_SUMMARY>
    </INVOICE>
  </xsl:template>

  <!-- ==== parties ================================================================= -->

  <xsl:variable name="buyer" select="$doc/c:party[@role='buyer'][1]"/>
  <xsl:variable name="supplier" select="$doc/c:party[@role='supplier'][1]"/>
  <xsl:variable name="invoicee" select="$doc/c:party[@role='invoicee'][1]"/>
  <xsl:variable name="delivery" select="$doc/c:party[@role='delivery'][1]"/>
  <xsl:variable name="final-delivery" select="$doc/c:party[@role='final_delivery'][1]"/>
  <xsl:variable name="invoice-recipient" select="($invoicee | $buyer[not($invoicee)])[1]"/>

  <xsl:variable name="document-date">
    <xsl:if test="not($doc/c:date[@role='document'])">
      <xsl:message terminate="yes">the document has no date (date role document)</xsl:message>
    </xsl:if>
    <xsl:value-of select="$doc/c:date[@role='document'][1]"/>
  </xsl:variable>

  <xsl:template name="parties">
    <xsl:if test="not(c:party)">
      <xsl:message terminate="yes">the document has no parties (PARTIES needs at least one PARTY)</xsl:message>
    </xsl:if>
    <PARTIES>
      <xsl:for-each select="c:party">
        <xsl:if test="not(c:id[@scheme != 'vat' and @scheme != 'tax_number' and @scheme != 'legal'])">
          <xsl:message terminate="yes">the <xsl:value-of select="@role"/> party has no identifier for PARTY_ID (a GLN, DUNS or partner-specific id)</xsl:message>
        </xsl:if>
        <PARTY>
          <xsl:for-each select="c:id[@scheme != 'vat' and @scheme != 'tax_number' and @scheme != 'legal']">
            <bmecat:PARTY_ID>
              <xsl:attribute name="type"><xsl:call-template name="party-id-type"/></xsl:attribute>
              <xsl:value-of select="."/>
            </bmecat:PARTY_ID>
          </xsl:for-each>
          <PARTY_ROLE><xsl:call-template name="party-role"/></PARTY_ROLE>
          <!-- An invoice names issuer and recipient by role as well. -->
          <xsl:if test="$doc/self::c:invoice">
            <xsl:if test="count(. | $supplier) = 1"><PARTY_ROLE>invoice_issuer</PARTY_ROLE></xsl:if>
            <xsl:if test="not($invoicee) and count(. | $buyer) = 1"><PARTY_ROLE>invoice_recipient</PARTY_ROLE></xsl:if>
          </xsl:if>
          <xsl:if test="c:name | c:department | c:street | c:postcode | c:city | c:countrySubdivision | c:country | c:id[@scheme='vat' or @scheme='tax_number'] | c:contact">
            <ADDRESS>
              <xsl:for-each select="c:name[1]"><bmecat:NAME><xsl:value-of select="."/></bmecat:NAME></xsl:for-each>
              <xsl:for-each select="c:name[2]"><bmecat:NAME2><xsl:value-of select="."/></bmecat:NAME2></xsl:for-each>
              <xsl:for-each select="c:name[3]"><bmecat:NAME3><xsl:value-of select="."/></bmecat:NAME3></xsl:for-each>
              <xsl:for-each select="c:department[. != '']"><bmecat:DEPARTMENT><xsl:value-of select="."/></bmecat:DEPARTMENT></xsl:for-each>
              <xsl:for-each select="c:contact[normalize-space(c:name) != '']">
                <CONTACT_DETAILS>
                  <bmecat:CONTACT_NAME><xsl:value-of select="c:name"/></bmecat:CONTACT_NAME>
                  <xsl:for-each select="c:department[. != '']">
                    <CONTACT_ROLE><xsl:value-of select="."/></CONTACT_ROLE>
                  </xsl:for-each>
                  <xsl:call-template name="communication"/>
                </CONTACT_DETAILS>
              </xsl:for-each>
              <xsl:for-each select="c:street[. != '']"><bmecat:STREET><xsl:value-of select="."/></bmecat:STREET></xsl:for-each>
              <xsl:for-each select="c:postcode[. != '']"><bmecat:ZIP><xsl:value-of select="."/></bmecat:ZIP></xsl:for-each>
              <xsl:for-each select="c:city[. != '']"><bmecat:CITY><xsl:value-of select="."/></bmecat:CITY></xsl:for-each>
              <xsl:for-each select="c:countrySubdivision[. != '']"><bmecat:STATE><xsl:value-of select="."/></bmecat:STATE></xsl:for-each>
              <xsl:for-each select="c:country"><bmecat:COUNTRY_CODED><xsl:value-of select="."/></bmecat:COUNTRY_CODED></xsl:for-each>
              <xsl:for-each select="c:id[@scheme='vat'][1]"><bmecat:VAT_ID><xsl:value-of select="."/></bmecat:VAT_ID></xsl:for-each>
              <xsl:for-each select="c:id[@scheme='tax_number'][1]"><TAX_NUMBER><xsl:value-of select="."/></TAX_NUMBER></xsl:for-each>
              <!-- A contact without a name is the address's own phone, fax and e-mail. -->
              <xsl:for-each select="c:contact[normalize-space(c:name) = '']/c:phone[. != '']"><bmecat:PHONE><xsl:value-of select="."/></bmecat:PHONE></xsl:for-each>
              <xsl:for-each select="c:contact[normalize-space(c:name) = '']/c:fax[. != '']"><bmecat:FAX><xsl:value-of select="."/></bmecat:FAX></xsl:for-each>
              <xsl:for-each select="c:contact[normalize-space(c:name) = '']/c:email[. != '']"><bmecat:EMAIL><xsl:value-of select="."/></bmecat:EMAIL></xsl:for-each>
            </ADDRESS>
          </xsl:if>
        </PARTY>
      </xsl:for-each>
    </PARTIES>
  </xsl:template>

  <xsl:template name="communication">
    <xsl:for-each select="c:phone[. != '']"><bmecat:PHONE><xsl:value-of select="."/></bmecat:PHONE></xsl:for-each>
    <xsl:for-each select="c:fax[. != '']"><bmecat:FAX><xsl:value-of select="."/></bmecat:FAX></xsl:for-each>
    <xsl:if test="c:email[. != '']">
      <bmecat:EMAILS>
        <xsl:for-each select="c:email[. != '']"><bmecat:EMAIL><xsl:value-of select="."/></bmecat:EMAIL></xsl:for-each>
      </bmecat:EMAILS>
    </xsl:if>
  </xsl:template>

  <!-- PARTY_ID/@type for a canonical id: gln, duns, buyer_specific, supplier_specific as
       they are; another scheme keeps the type it was received with when that is letters and digits
       (the schema's \w{1,250}), else party_specific. -->
  <xsl:template name="party-id-type">
    <xsl:choose>
      <xsl:when test="@scheme = 'gln' or @scheme = 'duns' or @scheme = 'buyer_specific' or @scheme = 'supplier_specific'">
        <xsl:value-of select="@scheme"/>
      </xsl:when>
      <xsl:when test="string(@agency) != '' and string-length(@agency) &lt;= 250 and translate(@agency, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '') = ''">
        <xsl:value-of select="@agency"/>
      </xsl:when>
      <xsl:otherwise>party_specific</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="party-role">
    <xsl:choose>
      <xsl:when test="@role = 'buyer' or @role = 'supplier' or @role = 'delivery' or @role = 'final_delivery' or @role = 'payer'">
        <xsl:value-of select="@role"/>
      </xsl:when>
      <xsl:when test="@role = 'invoicee'">invoice_recipient</xsl:when>
      <xsl:when test="@role = 'payee'">remittee</xsl:when>
      <xsl:when test="@role = 'ship_from'">deliverer</xsl:when>
      <xsl:otherwise>other</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- An IDREF element naming `party` by its first PARTY_ID (the one PARTIES writes
       first, with the same type); nothing when there is no such party, unless `required`
       names the role, which stops the transformation. -->
  <xsl:template name="idref">
    <xsl:param name="name"/>
    <xsl:param name="party"/>
    <xsl:param name="required" select="''"/>
    <xsl:variable name="id" select="$party/c:id[@scheme != 'vat' and @scheme != 'tax_number' and @scheme != 'legal'][1]"/>
    <xsl:choose>
      <xsl:when test="$id">
        <!-- The name's prefix (bmecat: or none) resolves against this stylesheet's
             namespace declarations. -->
        <xsl:element name="{$name}">
          <xsl:attribute name="type">
            <xsl:for-each select="$id"><xsl:call-template name="party-id-type"/></xsl:for-each>
          </xsl:attribute>
          <xsl:value-of select="$id"/>
        </xsl:element>
      </xsl:when>
      <xsl:when test="$required != ''">
        <xsl:message terminate="yes">the document needs a <xsl:value-of select="$required"/> party with an identifier for <xsl:value-of select="substring-after(concat(':', $name), ':')"/></xsl:message>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="shipment-parties">
    <SHIPMENT_PARTIES_REFERENCE>
      <xsl:call-template name="idref">
        <xsl:with-param name="name" select="'DELIVERY_IDREF'"/>
        <xsl:with-param name="party" select="$delivery"/>
        <xsl:with-param name="required" select="'delivery'"/>
      </xsl:call-template>
      <xsl:call-template name="idref">
        <xsl:with-param name="name" select="'FINAL_DELIVERY_IDREF'"/>
        <xsl:with-param name="party" select="$final-delivery"/>
      </xsl:call-template>
      <xsl:call-template name="idref">
        <xsl:with-param name="name" select="'DELIVERER_IDREF'"/>
        <xsl:with-param name="party" select="$doc/c:party[@role='ship_from'][1]"/>
      </xsl:call-template>
    </SHIPMENT_PARTIES_REFERENCE>
  </xsl:template>

  <!-- ==== shared pieces =========================================================== -->

  <!-- DELIVERY_DATE of the context (document or line): a requested or actual delivery
       date is start and end; else earliest and latest, both needed. -->
  <xsl:template name="delivery-date">
    <xsl:variable name="one" select="(c:date[@role='delivery_requested'] | c:date[@role='delivery'])[1]"/>
    <xsl:choose>
      <xsl:when test="$one">
        <DELIVERY_DATE>
          <xsl:for-each select="$one/@qualifier[. = 'fixed' or . = 'optional']">
            <xsl:attribute name="type"><xsl:value-of select="."/></xsl:attribute>
          </xsl:for-each>
          <DELIVERY_START_DATE><xsl:value-of select="$one"/></DELIVERY_START_DATE>
          <DELIVERY_END_DATE><xsl:value-of select="$one"/></DELIVERY_END_DATE>
        </DELIVERY_DATE>
      </xsl:when>
      <xsl:when test="c:date[@role='delivery_earliest'] and c:date[@role='delivery_latest']">
        <DELIVERY_DATE>
          <DELIVERY_START_DATE><xsl:value-of select="c:date[@role='delivery_earliest'][1]"/></DELIVERY_START_DATE>
          <DELIVERY_END_DATE><xsl:value-of select="c:date[@role='delivery_latest'][1]"/></DELIVERY_END_DATE>
        </DELIVERY_DATE>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="currency">
    <xsl:for-each select="c:currency">
      <xsl:if test="not($currencies[. = string(current())])">
        <xsl:message terminate="yes">the currency <xsl:value-of select="."/> is not in the BMEcat 2005 currency list that openTRANS 2.1 uses</xsl:message>
      </xsl:if>
      <bmecat:CURRENCY><xsl:value-of select="."/></bmecat:CURRENCY>
    </xsl:for-each>
  </xsl:template>

  <xsl:template name="remarks">
    <xsl:for-each select="c:text[normalize-space(.) != '']">
      <REMARKS>
        <xsl:if test="string(@qualifier) != ''">
          <xsl:attribute name="type"><xsl:value-of select="@qualifier"/></xsl:attribute>
        </xsl:if>
        <xsl:value-of select="."/>
      </REMARKS>
    </xsl:for-each>
  </xsl:template>

  <xsl:template name="total-item-num">
    <xsl:if test="not(c:totals/c:lineCount)">
      <xsl:message terminate="yes">totals/lineCount is missing (TOTAL_ITEM_NUM is required; the gateway completes it in C before this mapping)</xsl:message>
    </xsl:if>
    <TOTAL_ITEM_NUM><xsl:value-of select="c:totals/c:lineCount"/></TOTAL_ITEM_NUM>
  </xsl:template>

  <!-- LINE_ITEM_ID, PRODUCT_ID, QUANTITY, ORDER_UNIT: the start every item shares. -->
  <xsl:template name="item-start">
    <xsl:if test="not(c:quantity)">
      <xsl:message terminate="yes">line <xsl:value-of select="c:number"/> has no quantity (QUANTITY is required)</xsl:message>
    </xsl:if>
    <LINE_ITEM_ID><xsl:value-of select="c:number"/></LINE_ITEM_ID>
    <PRODUCT_ID>
      <xsl:for-each select="c:supplierArticle[. != '']">
        <bmecat:SUPPLIER_PID type="supplier_specific"><xsl:value-of select="."/></bmecat:SUPPLIER_PID>
      </xsl:for-each>
      <xsl:for-each select="c:gtin[. != '']">
        <bmecat:INTERNATIONAL_PID type="gtin"><xsl:value-of select="."/></bmecat:INTERNATIONAL_PID>
      </xsl:for-each>
      <xsl:for-each select="c:buyerArticle[. != '']">
        <bmecat:BUYER_PID type="buyer_specific"><xsl:value-of select="."/></bmecat:BUYER_PID>
      </xsl:for-each>
      <!-- The first description that is not marked long and fits 150 characters is the
           short one; all others are long descriptions. -->
      <xsl:variable name="short" select="c:description[normalize-space(.) != '' and string(@qualifier) != 'DESCRIPTION_LONG' and string-length(.) &lt;= 150][1]"/>
      <xsl:for-each select="$short">
        <bmecat:DESCRIPTION_SHORT><xsl:value-of select="."/></bmecat:DESCRIPTION_SHORT>
      </xsl:for-each>
      <xsl:for-each select="c:description[normalize-space(.) != ''][count(. | $short) != count($short)]">
        <bmecat:DESCRIPTION_LONG><xsl:value-of select="."/></bmecat:DESCRIPTION_LONG>
      </xsl:for-each>
    </PRODUCT_ID>
    <QUANTITY><xsl:value-of select="c:quantity"/></QUANTITY>
    <bmecat:ORDER_UNIT>
      <xsl:call-template name="unit">
        <xsl:with-param name="code" select="string(c:quantity/@unit)"/>
      </xsl:call-template>
    </bmecat:ORDER_UNIT>
  </xsl:template>

  <!-- A Rec 20 unit as BMEcat 2005 takes it: H87 (piece) is not in the 2005 list and is
       written as C62 (one), which the list has and which partners read as a piece; any
       other code must be in the list. -->
  <xsl:template name="unit">
    <xsl:param name="code"/>
    <xsl:variable name="u">
      <xsl:choose>
        <xsl:when test="$code = 'H87'">C62</xsl:when>
        <xsl:otherwise><xsl:value-of select="$code"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:if test="$code = ''">
      <xsl:message terminate="yes">line <xsl:value-of select="c:number"/> has a quantity without a unit (bmecat:ORDER_UNIT is required)</xsl:message>
    </xsl:if>
    <xsl:if test="not($units[. = string($u)])">
      <xsl:message terminate="yes">the unit <xsl:value-of select="$code"/> (line <xsl:value-of select="c:number"/>) is not in the BMEcat 2005 unit list that openTRANS 2.1 uses</xsl:message>
    </xsl:if>
    <xsl:value-of select="$u"/>
  </xsl:template>

  <!-- PRODUCT_PRICE_FIX: net price, taxes, price basis. -->
  <xsl:template name="price">
    <xsl:for-each select="c:netPrice">
      <PRODUCT_PRICE_FIX>
        <bmecat:PRICE_AMOUNT><xsl:value-of select="."/></bmecat:PRICE_AMOUNT>
        <xsl:apply-templates select="../c:tax"/>
        <xsl:for-each select="@basisQuantity">
          <bmecat:PRICE_QUANTITY><xsl:value-of select="."/></bmecat:PRICE_QUANTITY>
        </xsl:for-each>
      </PRODUCT_PRICE_FIX>
    </xsl:for-each>
  </xsl:template>

  <xsl:template name="line-amount">
    <xsl:for-each select="c:lineAmount">
      <PRICE_LINE_AMOUNT><xsl:value-of select="."/></PRICE_LINE_AMOUNT>
    </xsl:for-each>
  </xsl:template>

  <!-- TAX_DETAILS_FIX (line or invoice summary): UNCL 5305 S, Z, E, AA as the openTRANS
       words, another category as its code (the schema allows free text); the rate as a
       fraction; amount and basis when given. -->
  <xsl:template match="c:tax">
    <TAX_DETAILS_FIX>
      <xsl:for-each select="c:category[. != '']">
        <bmecat:TAX_CATEGORY>
          <xsl:choose>
            <xsl:when test=". = 'S'">standard_rate</xsl:when>
            <xsl:when test=". = 'Z'">zero_rate</xsl:when>
            <xsl:when test=". = 'E'">exemption</xsl:when>
            <xsl:when test=". = 'AA'">reduced_rate</xsl:when>
            <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
          </xsl:choose>
        </bmecat:TAX_CATEGORY>
      </xsl:for-each>
      <xsl:for-each select="@type[. != '']">
        <bmecat:TAX_TYPE><xsl:value-of select="."/></bmecat:TAX_TYPE>
      </xsl:for-each>
      <xsl:for-each select="c:ratePercent">
        <bmecat:TAX>
          <xsl:call-template name="percent-to-fraction">
            <xsl:with-param name="p" select="string(.)"/>
          </xsl:call-template>
        </bmecat:TAX>
      </xsl:for-each>
      <xsl:for-each select="c:amount">
        <TAX_AMOUNT><xsl:value-of select="."/></TAX_AMOUNT>
      </xsl:for-each>
      <xsl:for-each select="c:basisAmount">
        <TAX_BASE><xsl:value-of select="."/></TAX_BASE>
      </xsl:for-each>
      <xsl:for-each select="c:exemptionReason[. != '']">
        <bmecat:EXEMPTION_REASON><xsl:value-of select="."/></bmecat:EXEMPTION_REASON>
      </xsl:for-each>
    </TAX_DETAILS_FIX>
  </xsl:template>

  <!-- 19 -> 0.19, 7 -> 0.07, 7.5 -> 0.075, 100 -> 1, 0 -> 0, 19.00 -> 0.19: the decimal
       point moves two places left in the text (digits only, as DecimalText has them). -->
  <xsl:template name="percent-to-fraction">
    <xsl:param name="p"/>
    <xsl:variable name="int-raw">
      <xsl:choose>
        <xsl:when test="contains($p, '.')"><xsl:value-of select="substring-before($p, '.')"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$p"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="frac" select="substring-after($p, '.')"/>
    <xsl:variable name="int" select="concat('00', $int-raw)"/>
    <xsl:variable name="new-int">
      <xsl:call-template name="strip-leading-zeros">
        <xsl:with-param name="s" select="substring($int, 1, string-length($int) - 2)"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="new-frac">
      <xsl:call-template name="strip-trailing-zeros">
        <xsl:with-param name="s" select="concat(substring($int, string-length($int) - 1), $frac)"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:value-of select="$new-int"/>
    <xsl:if test="$new-frac != ''">
      <xsl:value-of select="concat('.', $new-frac)"/>
    </xsl:if>
  </xsl:template>

  <xsl:template name="strip-leading-zeros">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="string-length($s) &gt; 1 and starts-with($s, '0')">
        <xsl:call-template name="strip-leading-zeros">
          <xsl:with-param name="s" select="substring($s, 2)"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="$s = ''">0</xsl:when>
      <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="strip-trailing-zeros">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="substring($s, string-length($s)) = '0'">
        <xsl:call-template name="strip-trailing-zeros">
          <xsl:with-param name="s" select="substring($s, 1, string-length($s) - 1)"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
